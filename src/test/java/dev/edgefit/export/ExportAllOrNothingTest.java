package dev.edgefit.export;

import dev.edgefit.TestModels;
import dev.edgefit.common.EdgeFitException;
import dev.edgefit.common.Progress;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.OnnxModels;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.*;

/** An export that fails after some artifacts are written and verified leaves nothing of itself behind. */
class ExportAllOrNothingTest {

    /** Cancels as soon as the first artifact is verified: a failure late in the export, after files were written. */
    static Progress cancelAfterFirstArtifact(AtomicBoolean verified) {
        return new Progress() {
            @Override
            public void update(double fraction, String message) {
                if (message != null && message.startsWith("Verified")) {
                    verified.set(true);
                }
            }

            @Override
            public boolean isCancelled() {
                return verified.get();
            }
        };
    }

    @Test
    void aLateFailureRemovesTheArtifactsAndTheFolderItCreated() throws Exception {
        Path src = TestModels.sampleCnn();
        ModelSnapshot m = OnnxModels.load(src);
        Path dir = TestModels.tempDir("export-late").resolve("new/out");
        AtomicBoolean verified = new AtomicBoolean();
        EdgeFitException e = assertThrows(EdgeFitException.class, () -> ExportService.export(new ExportService.Request(m, src, dir,
                EnumSet.of(ExportFormat.ONNX, ExportFormat.ORT), null, 2, null, false, Map.of()), cancelAfterFirstArtifact(verified)));
        assertEquals(EdgeFitException.Kind.CANCELLED, e.kind());
        assertTrue(verified.get(), "the failure came after an artifact was written and verified");
        assertFalse(Files.exists(dir), "the folder the export created is gone");
        assertFalse(Files.exists(dir.getParent()), "and the parent it created");
    }

    @Test
    void aLateFailureLeavesTheUsersOtherFilesAlone() throws Exception {
        Path src = TestModels.sampleCnn();
        ModelSnapshot m = OnnxModels.load(src);
        Path dir = TestModels.tempDir("export-late-keep");
        Path mine = Files.writeString(dir.resolve("notes.txt"), "mine");
        assertThrows(EdgeFitException.class, () -> ExportService.export(new ExportService.Request(m, src, dir,
                EnumSet.of(ExportFormat.ONNX, ExportFormat.ORT), null, 2, null, false, Map.of()), cancelAfterFirstArtifact(new AtomicBoolean())));
        try (var files = Files.list(dir)) {
            assertEquals(java.util.List.of(mine), files.toList(), "only the user's file is left");
        }
    }

    /** Broken edgefit.preprocessing metadata is never copied into an artifact: the export refuses before writing. */
    @Test
    void brokenPreprocessingMetadataIsNeverExported() throws Exception {
        Path tmp = TestModels.tempDir("export-bad-pp");
        Path src = tmp.resolve("bad-pp.onnx");
        var proto = OnnxModels.load(TestModels.sampleCnn()).proto().toBuilder().clearMetadataProps()
                .addMetadataProps(ai.onnx.proto.OnnxMl.StringStringEntryProto.newBuilder().setKey("edgefit.preprocessing").setValue("{\"scale\":\"x\"}"))
                .build();
        Files.write(src, proto.toByteArray());
        ModelSnapshot m = OnnxModels.load(src);
        Path dir = tmp.resolve("out");
        EdgeFitException e = assertThrows(EdgeFitException.class, () -> ExportService.export(new ExportService.Request(m, src, dir,
                EnumSet.of(ExportFormat.ONNX), null, 2, null, false, Map.of()), Progress.NONE));
        assertEquals(EdgeFitException.Kind.BAD_MODEL, e.kind());
        assertTrue(e.getMessage().contains("edgefit.preprocessing"), e.getMessage());
        assertFalse(Files.exists(dir));
    }
}
