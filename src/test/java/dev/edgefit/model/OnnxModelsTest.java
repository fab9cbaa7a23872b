package dev.edgefit.model;

import ai.onnx.proto.OnnxMl.TensorProto;
import dev.edgefit.TestModels;
import dev.edgefit.common.EdgeFitException;
import dev.edgefit.data.InputGenerator;
import dev.edgefit.runtime.OrtRunner;
import dev.edgefit.runtime.RunnerOptions;
import dev.edgefit.runtime.Tensor;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class OnnxModelsTest {

    @Test
    void miniLmRoundTripKeepsBitIdenticalOutputs() throws Exception {
        Path src = TestModels.miniLm();
        byte[] before = Files.readAllBytes(src);
        ModelSnapshot m = OnnxModels.load(src);
        Path dir = TestModels.tempDir("roundtrip");
        Path copy = dir.resolve("copy.onnx");
        OnnxModels.save(m, copy);
        assertArrayEquals(before, Files.readAllBytes(src), "the source model must not change");
        // MiniLM holds scalar Constant nodes, which loading turns into initializers (GraphNormalizer), so the copy is
        // not the same bytes; it is the loaded model exactly, and it computes the same outputs to the bit
        assertTrue(m.graph().getNodeList().stream().noneMatch(n -> n.getOpType().equals("Constant")));
        assertEquals(m.proto(), OnnxModels.load(copy).proto(), "the copy reads back as the loaded model");
        assertEquals(m.proto().getSerializedSize(), Files.size(copy));
        assertSameOutputs(m, src, copy);
    }

    @Test
    void sampleCnnRoundTripKeepsBitIdenticalOutputs() throws Exception {
        Path src = TestModels.sampleCnn();
        ModelSnapshot m = OnnxModels.load(src);
        Path copy = TestModels.tempDir("roundtrip-cnn").resolve("copy.onnx");
        OnnxModels.save(m, copy);
        assertArrayEquals(Files.readAllBytes(src), Files.readAllBytes(copy), "load + save writes the same bytes");
        assertSameOutputs(m, src, copy);
    }

    @Test
    void externalDataIsReadBackAndGivesTheSameOutputs() throws Exception {
        Path src = TestModels.miniLm();
        ModelSnapshot m = OnnxModels.load(src);
        Path dir = TestModels.tempDir("external");
        Path ext = dir.resolve("ext.onnx");
        OnnxModels.saveWithExternalData(m, ext, 1024);
        assertTrue(Files.size(ext) < 1_000_000, "weights must live in the side file");
        assertTrue(Files.size(dir.resolve("ext.onnx.data")) > 80_000_000);
        ModelSnapshot back = OnnxModels.load(ext);
        assertEquals(m.initializers().keySet(), back.initializers().keySet());
        TensorProto a = m.initializers().values().iterator().next();
        assertEquals(a.getRawData(), back.initializers().get(a.getName()).getRawData());
        assertSameOutputs(m, src, ext);
    }

    @Test
    void externalDataOutsideTheModelFolderIsRefused() throws Exception {
        Path dir = TestModels.tempDir("escape");
        Path inner = Files.createDirectories(dir.resolve("model"));
        Path secret = dir.resolve("secret.bin");
        Files.write(secret, new byte[4096]);
        ModelSnapshot m = OnnxModels.load(TestModels.miniLm());
        // point the first big tensor at ../secret.bin
        var gb = m.graph().toBuilder();
        for (int i = 0; i < gb.getInitializerCount(); i++) {
            TensorProto t = gb.getInitializer(i);
            if (t.getRawData().size() >= 1024) {
                gb.setInitializer(i, t.toBuilder().clearRawData().setDataLocation(TensorProto.DataLocation.EXTERNAL)
                        .addExternalData(ai.onnx.proto.OnnxMl.StringStringEntryProto.newBuilder().setKey("location").setValue("../secret.bin"))
                        .build());
                break;
            }
        }
        Path bad = inner.resolve("bad.onnx");
        Files.write(bad, m.proto().toBuilder().setGraph(gb).build().toByteArray());
        EdgeFitException e = assertThrows(EdgeFitException.class, () -> OnnxModels.load(bad));
        assertEquals(EdgeFitException.Kind.BAD_MODEL, e.kind());
        assertTrue(e.getMessage().contains("bad.onnx"), e.getMessage());
        assertTrue(e.getMessage().contains("outside the model's folder"), e.getMessage());
    }

    @Test
    void notOnnxAndTruncatedFilesGetOneClearSentence() throws Exception {
        Path dir = TestModels.tempDir("bad");
        Path text = dir.resolve("notes.onnx");
        Files.writeString(text, "this is a text file, not a model\n");
        EdgeFitException e1 = assertThrows(EdgeFitException.class, () -> OnnxModels.load(text));
        assertTrue(e1.getMessage().startsWith(text.toString()), e1.getMessage());
        assertTrue(e1.getMessage().contains("not an ONNX model"), e1.getMessage());

        byte[] full = Files.readAllBytes(TestModels.miniLm());
        Path cut = dir.resolve("cut.onnx");
        Files.write(cut, Arrays.copyOf(full, full.length / 2));
        EdgeFitException e2 = assertThrows(EdgeFitException.class, () -> OnnxModels.load(cut));
        assertTrue(e2.getMessage().contains("cut.onnx") && e2.getMessage().contains("truncated"), e2.getMessage());

        EdgeFitException e3 = assertThrows(EdgeFitException.class, () -> OnnxModels.load(dir.resolve("missing.onnx")));
        assertTrue(e3.getMessage().contains("does not exist"), e3.getMessage());
    }

    static void assertSameOutputs(ModelSnapshot m, Path a, Path b) {
        Map<String, Tensor> in = new InputGenerator(m, Map.of()).generate(7);
        try (OrtRunner ra = new OrtRunner(a, RunnerOptions.DEFAULT); OrtRunner rb = new OrtRunner(b, RunnerOptions.DEFAULT)) {
            Map<String, Tensor> oa = ra.run(in);
            Map<String, Tensor> ob = rb.run(in);
            assertEquals(oa.keySet(), ob.keySet());
            for (String k : oa.keySet()) {
                assertArrayEquals(oa.get(k).floats(), ob.get(k).floats(), 0f, "output " + k + " must be bit-identical");
            }
        }
    }
}
