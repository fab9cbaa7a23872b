package dev.edgefit.model;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import dev.edgefit.ModelCorpus;
import dev.edgefit.common.Progress;
import dev.edgefit.compress.Params;
import dev.edgefit.compress.TechniqueContext;
import dev.edgefit.compress.TechniqueRegistry;
import dev.edgefit.data.InputGenerator;
import dev.edgefit.runtime.OrtRunner;
import dev.edgefit.runtime.RunnerOptions;
import dev.edgefit.runtime.Tensor;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.*;

class GraphNormalizerTest {

    static final Map<String, long[]> CLS_SHAPE = Map.of("x", new long[] {1, 3, 48, 192});

    /** The file as published, without normalisation. */
    static ModelProto raw(Path file) throws Exception {
        var cis = com.google.protobuf.CodedInputStream.newInstance(java.nio.file.Files.newInputStream(file));
        cis.setSizeLimit(Integer.MAX_VALUE);
        return ModelProto.parseFrom(cis);
    }

    static long constants(GraphProto g) {
        long n = 0;
        for (NodeProto node : g.getNodeList()) {
            if (node.getOpType().equals("Constant")) {
                n++;
            }
            for (AttributeProto a : node.getAttributeList()) {
                if (a.hasG()) {
                    n += constants(a.getG());
                }
            }
        }
        return n;
    }

    /** Runs the file as published and the loaded (normalised) model on the same inputs; outputs must be bit-identical. */
    static void assertBitIdentical(Path file, ModelSnapshot loaded, Map<String, Tensor> in) {
        try (OrtRunner a = new OrtRunner(file, RunnerOptions.DEFAULT); OrtRunner b = OrtRunner.inMemory(loaded, RunnerOptions.DEFAULT)) {
            Map<String, Tensor> oa = a.run(in);
            Map<String, Tensor> ob = b.run(in);
            assertEquals(oa.keySet(), ob.keySet());
            for (String k : oa.keySet()) {
                assertArrayEquals(oa.get(k).shape(), ob.get(k).shape(), k);
                assertArrayEquals(oa.get(k).floats(), ob.get(k).floats(), 0f, "output " + k + " must be bit-identical");
            }
        }
    }

    @Test
    void ocrClassifierConstantsBecomeInitializersWithBitIdenticalOutputs() throws Exception {
        Path file = ModelCorpus.OCR_CLS.path();
        ModelProto before = raw(file);
        Set<String> constantOutputs = before.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("Constant"))
                .map(n -> n.getOutput(0)).collect(Collectors.toSet());
        assertTrue(constantOutputs.size() > 200, "the published file stores its weights as Constant nodes");
        ModelSnapshot m = OnnxModels.load(file);
        assertEquals(0, constants(m.graph()), "no Constant node is left");
        assertTrue(m.initializers().keySet().containsAll(constantOutputs), "every former Constant is an initializer");
        assertEquals(before.getGraph().getNodeCount() - constantOutputs.size(), m.graph().getNodeCount());
        // the other nodes keep their order
        List<String> order = before.getGraph().getNodeList().stream().filter(n -> !n.getOpType().equals("Constant"))
                .map(NodeProto::getName).toList();
        assertEquals(order, m.graph().getNodeList().stream().map(NodeProto::getName).toList());
        ModelStats s = ModelStats.compute(m, Map.of());
        assertTrue(s.parameters() > 100_000, "weights are found: " + s.parameters());
        assertBitIdentical(file, m, new InputGenerator(m, CLS_SHAPE).generate(3));
    }

    @Test
    void ocrDetectorAndVadSubgraphsKeepBitIdenticalOutputs() throws Exception {
        Path det = ModelCorpus.OCR_DET.path();
        ModelSnapshot m = OnnxModels.load(det);
        assertTrue(constants(raw(det).getGraph()) > 100);
        assertEquals(0, constants(m.graph()));
        assertBitIdentical(det, m, new InputGenerator(m, Map.of("x", new long[] {1, 3, 64, 96})).generate(5));

        // Silero VAD v5: the Constants live inside nested If branches and become the branches' initializers
        Path vad = ModelCorpus.VAD_V5.path();
        ModelSnapshot v = OnnxModels.load(vad);
        long before = constants(raw(vad).getGraph());
        assertTrue(before > 100, "Constants in subgraphs: " + before);
        assertTrue(constants(v.graph()) < before / 4, "left as nodes (branch outputs): " + constants(v.graph()));
        assertTrue(subgraphInitializers(v.graph()) > 100, "branch initializers: " + subgraphInitializers(v.graph()));
        assertBitIdentical(vad, v, vadV5Inputs());
    }

    static long subgraphInitializers(GraphProto g) {
        long n = 0;
        for (NodeProto node : g.getNodeList()) {
            for (AttributeProto a : node.getAttributeList()) {
                if (a.hasG()) {
                    n += a.getG().getInitializerCount() + subgraphInitializers(a.getG());
                }
            }
        }
        return n;
    }

    /** Silero VAD v5's inputs: 512 samples at 16 kHz, zero state. */
    static Map<String, Tensor> vadV5Inputs() {
        Map<String, Tensor> in = new HashMap<>();
        in.put("input", Tensor.of(audio(512), 1, 512));
        in.put("sr", Tensor.of(new long[] {16000}));
        in.put("state", Tensor.of(new float[2 * 128], 2, 1, 128));
        return in;
    }

    static float[] audio(int samples) {
        float[] audio = new float[samples];
        java.util.Random r = new java.util.Random(9);
        for (int i = 0; i < samples; i++) {
            audio[i] = (float) (0.1 * r.nextGaussian());
        }
        return audio;
    }

    /** Silero VAD legacy's inputs: 512 samples at 16 kHz, zero LSTM state. */
    static Map<String, Tensor> vadLegacyInputs() {
        Map<String, Tensor> in = new HashMap<>();
        in.put("input", Tensor.of(audio(512), 1, 512));
        in.put("sr", Tensor.of(new long[] {16000}));
        in.put("h", Tensor.of(new float[2 * 64], 2, 1, 64));
        in.put("c", Tensor.of(new float[2 * 64], 2, 1, 64));
        return in;
    }

    @Test
    void constantThatIsAGraphOutputStaysANodeAndScalarsBecomeTensors() {
        GraphProto.Builder g = GraphProto.newBuilder().setName("g");
        g.addNode(NodeProto.newBuilder().setOpType("Constant").setName("k").addOutput("k")
                .addAttribute(AttributeProto.newBuilder().setName("value_floats").setType(AttributeProto.AttributeType.FLOATS)
                        .addFloats(2f).addFloats(3f)));
        g.addNode(NodeProto.newBuilder().setOpType("Constant").setName("out_c").addOutput("c_out")
                .addAttribute(AttributeProto.newBuilder().setName("value_int").setType(AttributeProto.AttributeType.INT).setI(7)));
        g.addNode(NodeProto.newBuilder().setOpType("Mul").setName("mul").addInput("x").addInput("k").addOutput("y"));
        g.addInput(ValueInfos.of("x", DType.FLOAT, new long[] {2}, List.of()));
        g.addOutput(ValueInfos.of("y", DType.FLOAT, new long[] {2}, List.of()));
        g.addOutput(ValueInfos.of("c_out", DType.INT64, new long[] {}, List.of()));
        ModelProto p = ModelProto.newBuilder().setIrVersion(8).setGraph(g)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(13)).build();
        ModelProto n = GraphNormalizer.normalize(p);
        assertEquals(List.of("Constant", "Mul"), n.getGraph().getNodeList().stream().map(NodeProto::getOpType).toList());
        assertEquals("k", n.getGraph().getInitializer(0).getName());
        assertArrayEquals(new long[] {2}, Tensors.dims(n.getGraph().getInitializer(0)));
        ModelSnapshot s = new ModelSnapshot(n, null, "t");
        try (OrtRunner r = OrtRunner.inMemory(s, RunnerOptions.DEFAULT)) {
            Map<String, Tensor> out = r.run(Map.of("x", Tensor.of(new float[] {1, 2}, 2)));
            assertArrayEquals(new float[] {2, 6}, out.get("y").floats());
            assertEquals(7f, out.get("c_out").floats()[0]);
        }
        assertSame(p.getGraph().getNode(2), n.getGraph().getNode(1), "untouched nodes are shared");
        ModelProto none = GraphNormalizer.normalize(n.toBuilder().setGraph(n.getGraph()).build());
        assertEquals(n, none);

        // IR version 3 wants every initializer declared as a graph input too
        ModelProto ir3 = GraphNormalizer.normalize(p.toBuilder().setIrVersion(3)
                .setOpsetImport(0, OperatorSetIdProto.newBuilder().setVersion(8)).build());
        assertTrue(ir3.getGraph().getInputList().stream().anyMatch(v -> v.getName().equals("k")));
        ModelSnapshot s3 = new ModelSnapshot(ir3, null, "ir3");
        assertEquals(List.of("x"), s3.inputs().stream().map(TensorSpec::name).toList(), "the declared initializer is no user input");
        try (OrtRunner r = OrtRunner.inMemory(s3, RunnerOptions.DEFAULT)) {
            assertArrayEquals(new float[] {2, 6}, r.run(Map.of("x", Tensor.of(new float[] {1, 2}, 2))).get("y").floats());
        }
    }

    @Test
    void techniquesFindTheOcrClassifiersWeights() throws Exception {
        Path file = ModelCorpus.OCR_CLS.path();
        ModelSnapshot m = OnnxModels.load(file);
        Map<String, Tensor> in = new InputGenerator(m, CLS_SHAPE).generate(1);
        float[] ref;
        try (OrtRunner r = OrtRunner.inMemory(m, RunnerOptions.DEFAULT)) {
            ref = r.run(in).values().iterator().next().floats();
        }
        long bn = m.graph().getNodeList().stream().filter(n -> n.getOpType().equals("BatchNormalization")).count();
        assertEquals(35, bn);
        // binary needs opset 11 (BitShift) and int8-static per-channel opset 13: both upgrade this opset-9 model in memory
        for (String id : List.of("fuse", "fp16", "int4", "binary", "int8-static", "mixed-precision")) {
            var t = TechniqueRegistry.get(id);
            Params p = id.equals("int8-static") ? Params.of(t, Map.of("samples", 8)) : Params.defaults(t);
            ModelSnapshot out = t.apply(m, p, TechniqueContext.of(Progress.NONE));
            if (id.equals("int8-static")) {
                assertTrue(out.opset() >= 13);
                assertTrue(out.graph().getNodeList().stream().anyMatch(n -> n.getOpType().equals("QuantizeLinear")));
            }
            assertNotEquals(m.proto(), out.proto(), id + " changes the model");
            if (id.equals("fuse")) {
                assertEquals(0, out.graph().getNodeList().stream().filter(n -> n.getOpType().equals("BatchNormalization")).count(),
                        "every Conv->BatchNormalization pair is folded");
            }
            try (OrtRunner r = OrtRunner.inMemory(out, RunnerOptions.DEFAULT)) {
                float[] got = r.run(in).values().iterator().next().floats();
                assertEquals(ref.length, got.length, id);
                double tol = switch (id) {
                    case "fuse" -> 1e-4;
                    case "fp16" -> 2e-2;
                    default -> 1.0;     // int4/binary/int8 change the weights; the artifact must run and give probabilities
                };
                for (int i = 0; i < ref.length; i++) {
                    assertFalse(Float.isNaN(got[i]), id);
                    assertEquals(ref[i], got[i], tol, id + " output " + i);
                }
            }
        }
    }
}
