package dev.edgefit.export;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgefit.TestModels;
import dev.edgefit.common.EdgeFitException;
import dev.edgefit.common.Json;
import dev.edgefit.common.Progress;
import dev.edgefit.compress.Int8Dynamic;
import dev.edgefit.compress.Params;
import dev.edgefit.compress.TechniqueContext;
import dev.edgefit.data.Dataset;
import dev.edgefit.data.Datasets;
import dev.edgefit.data.Preprocessing;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.OnnxModels;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class ExportServiceTest {

    static Dataset sampleData(ModelSnapshot m) {
        return Datasets.open(TestModels.sampleData(), Preprocessing.fromJson(m.metadata(Preprocessing.METADATA_KEY)));
    }

    @Test
    void sampleCnnExportsAsOnnxAndOrtVerifiedAgainstTheSource() throws Exception {
        Path src = TestModels.sampleCnn();
        ModelSnapshot m = OnnxModels.load(src);
        Path dir = TestModels.tempDir("export");
        ExportResult r = ExportService.export(new ExportService.Request(m, src, dir, EnumSet.of(ExportFormat.ONNX, ExportFormat.ORT),
                sampleData(m), 64, null, false, Map.of()), Progress.NONE);
        assertEquals(2, r.artifacts().size());
        for (Artifact a : r.artifacts()) {
            assertTrue(Files.isRegularFile(a.path()));
            assertEquals(Files.size(a.path()), a.bytes());
            assertEquals(ExportService.sha256(a.path()), a.sha256());
            assertTrue(a.verification().maxAbsDiff() < 1e-4, a + " differs from the source");
            assertEquals(1.0, a.verification().top1Agreement());
            assertTrue(a.verification().passed());
            assertTrue(a.verification().accuracy() > 0.88, "the artifact's own accuracy on the bundled data");
        }
        byte[] ort = Files.readAllBytes(dir.resolve("model.ort"));
        assertEquals("ORTM", new String(ort, 4, 4, java.nio.charset.StandardCharsets.US_ASCII), "ORT format flatbuffer identifier");
        JsonNode manifest = Json.mapper().readTree(r.manifest().toFile());
        assertEquals(ExportService.sha256(src), manifest.at("/source/sha256").asText());
        assertEquals(r.artifacts().get(1).sha256(), manifest.at("/artifacts/1/sha256").asText());
        assertEquals("input", manifest.at("/inputs/0/name").asText());

        EdgeFitException again = assertThrows(EdgeFitException.class, () -> ExportService.export(new ExportService.Request(m, src, dir,
                EnumSet.of(ExportFormat.ONNX), null, 4, null, false, null), Progress.NONE));
        assertTrue(again.getMessage().contains("already contains model.onnx"), again.getMessage());
    }

    @Test
    void anInt8SnapshotExportsWithItsOwnAccuracy() {
        Path src = TestModels.sampleCnn();
        ModelSnapshot m = OnnxModels.load(src);
        Int8Dynamic t = new Int8Dynamic();
        ModelSnapshot q = t.apply(m, Params.defaults(t), TechniqueContext.of(Progress.NONE));
        ExportResult r = ExportService.export(new ExportService.Request(q, src, TestModels.tempDir("export8"), EnumSet.of(ExportFormat.ORT),
                sampleData(m), 200, null, false, Map.of("steps", "int8-dynamic")), Progress.NONE);
        Artifact a = r.artifacts().get(0);
        assertEquals("int8 dynamic", a.precision());
        assertTrue(a.verification().top1Agreement() > 0.95, a.verification().toString());
        assertTrue(a.verification().accuracy() > 0.87, a.verification().toString());
        assertFalse(Files.exists(r.dir().resolve("model.onnx")), "only the asked-for format is left");
    }
}
