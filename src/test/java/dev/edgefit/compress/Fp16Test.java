package dev.edgefit.compress;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.edgefit.Sentences;
import dev.edgefit.TestModels;
import dev.edgefit.common.EdgeFitException;
import dev.edgefit.common.Progress;
import dev.edgefit.data.Dataset;
import dev.edgefit.data.Datasets;
import dev.edgefit.data.Preprocessing;
import dev.edgefit.eval.EvalConfig;
import dev.edgefit.eval.Evaluator;
import dev.edgefit.eval.Fidelity;
import dev.edgefit.model.DType;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.OnnxModels;
import dev.edgefit.model.Tensors;
import dev.edgefit.model.ValueInfos;
import dev.edgefit.runtime.OrtRunner;
import dev.edgefit.runtime.RunnerOptions;
import dev.edgefit.runtime.Tensor;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

public class Fp16Test {

    @Test
    void miniLmInFloat16WeightsHalvesTheFileAndKeepsOutputs() throws Exception {
        Path src = TestModels.miniLm();
        Technique t = TechniqueRegistry.get(Fp16.ID);
        ModelSnapshot half = t.apply(OnnxModels.load(src), Params.defaults(t), TechniqueContext.of(Progress.NONE));
        Path out = TestModels.tempDir("fp16").resolve("minilm-fp16.onnx");
        OnnxModels.save(half, out);
        double ratio = (double) Files.size(out) / Files.size(src);
        assertTrue(ratio > 0.49 && ratio < 0.52, "fp16 file is " + ratio + " of fp32");
        try (OrtRunner a = new OrtRunner(out, RunnerOptions.DEFAULT); OrtRunner b = new OrtRunner(src, RunnerOptions.DEFAULT)) {
            Fidelity f = Evaluator.compare(a, b, Sentences.miniLmInputs(), Progress.NONE);
            assertTrue(f.meanCosine() > 0.99999, "cosine " + f.meanCosine());
            assertEquals(1.0, f.top1Agreement(), 0.02);
            assertTrue(f.maxAbsDiff() < 0.05, "max abs diff " + f.maxAbsDiff());
        }
        // nothing left to convert the second time
        EdgeFitException e = assertThrows(EdgeFitException.class, () -> t.apply(half, Params.defaults(t), TechniqueContext.of(Progress.NONE)));
        assertEquals(EdgeFitException.Kind.NOT_APPLICABLE, e.kind());
    }

    /**
     * The sample CNN in whole-graph float16. ONNX Runtime 1.29's x86 CPU provider runs it: where it has no float16
     * kernel (Conv, BatchNormalization, Relu, MaxPool here) it inserts Casts to float32 itself, and the step says so.
     * Measured on the 2,000 bundled images: top-1 agreement with the float32 model 1.0, largest logit difference
     * 0.064, accuracy 89.65% as before; the file is 169,250 bytes instead of 334,777.
     */
    @Test
    void sampleCnnInWholeGraphFloat16RunsWithinTolerance() throws Exception {
        ModelSnapshot cnn = OnnxModels.load(TestModels.sampleCnn());
        Technique t = TechniqueRegistry.get(Fp16.ID);
        TechniqueContext ctx = TechniqueContext.of(Progress.NONE);
        ModelSnapshot half = t.apply(cnn, Params.parse(t, Map.of("mode", "graph")), ctx);

        assertFalse(half.initializers().isEmpty());
        half.initializers().values().forEach(w -> assertEquals(DType.FLOAT16, Tensors.dtype(w), w.getName()));
        assertEquals(DType.FLOAT, half.inputs().get(0).dtype(), "the input stays float32");
        assertEquals(DType.FLOAT, half.outputs().get(0).dtype(), "the output stays float32");
        NodeProto first = half.graph().getNode(0);
        NodeProto last = half.graph().getNode(half.graph().getNodeCount() - 1);
        assertEquals("Cast", first.getOpType());
        assertEquals(List.of("input"), first.getInputList());
        assertEquals(DType.FLOAT16.onnxCode(), first.getAttribute(0).getI());
        assertEquals("Cast", last.getOpType());
        assertEquals(List.of("logits"), last.getOutputList());
        assertEquals(DType.FLOAT.onnxCode(), last.getAttribute(0).getI());
        assertEquals(cnn.graph().getNodeCount() + 2, half.graph().getNodeCount(), "only the two boundary Casts are added");

        @SuppressWarnings("unchecked")
        Map<String, Object> d = (Map<String, Object>) ctx.details().get("fp16Graph");
        String summary = (String) d.get("summary");
        assertTrue(summary.startsWith("fashion_cnn.onnx: 19 of 19 nodes with float values in float16"), summary);
        assertEquals(1, summary.split("(?<=[.!?])\\s+(?=[A-Z])").length, "one sentence: " + summary);
        // every converted operator type is reported as run here in float16, in float32, or both
        Set<String> reported = new HashSet<>();
        reported.addAll(castList(d.get("float16HereOps")));
        reported.addAll(castList(d.get("float32HereOps")));
        assertEquals(Set.of("Conv", "BatchNormalization", "Relu", "MaxPool", "Flatten", "Gemm"), reported, summary);

        Path file = TestModels.tempDir("fp16graph").resolve("cnn-fp16-graph.onnx");
        OnnxModels.save(half, file);
        assertTrue(Files.size(file) < 0.55 * Files.size(TestModels.sampleCnn()), "file " + Files.size(file));
        Dataset data = Datasets.open(TestModels.sampleData(), Preprocessing.fromJson(cnn.metadata(Preprocessing.METADATA_KEY)));
        Map<String, Tensor> in = new Evaluator.Inputs(cnn, EvalConfig.defaults().withData(data)).batch(0, data.size());
        try (OrtRunner a = new OrtRunner(file, RunnerOptions.DEFAULT); OrtRunner b = new OrtRunner(TestModels.sampleCnn(), RunnerOptions.DEFAULT)) {
            Fidelity.Accumulator acc = new Fidelity.Accumulator();
            acc.add(a.run(in).get("logits").floats(), b.run(in).get("logits").floats(), 10);
            Fidelity f = acc.result();
            assertTrue(f.top1Agreement() >= 0.995, "top-1 agreement " + f.top1Agreement());
            assertTrue(f.maxAbsDiff() <= 0.1, "max abs logit difference " + f.maxAbsDiff());
            assertTrue(f.maxAbsDiff() > 0, "float16 rounding shows in the outputs");
        }
    }

    /**
     * all-MiniLM-L6-v2 in whole-graph float16: its attention mask constant (-3.4e38) and LayerNorm epsilon (1e-12) are
     * clamped into float16's range (without that, its outputs are NaN). Measured: mean cosine to float32 0.9999994, largest
     * difference 0.0034, on the eight test sentences.
     */
    @Test
    void miniLmInWholeGraphFloat16StaysFinite() throws Exception {
        Path src = TestModels.miniLm();
        Technique t = TechniqueRegistry.get(Fp16.ID);
        TechniqueContext ctx = TechniqueContext.of(Progress.NONE);
        ModelSnapshot half = t.apply(OnnxModels.load(src), Params.parse(t, Map.of("mode", "graph")), ctx);
        @SuppressWarnings("unchecked")
        Map<String, Object> d = (Map<String, Object>) ctx.details().get("fp16Graph");
        assertTrue((Integer) d.get("clampedValues") > 0, d.toString());
        half.inputs().forEach(s -> assertEquals(DType.INT64, s.dtype(), s.name()));
        assertEquals(DType.FLOAT, half.outputs().get(0).dtype());
        Path out = TestModels.tempDir("fp16graph").resolve("minilm-fp16-graph.onnx");
        OnnxModels.save(half, out);
        try (OrtRunner a = new OrtRunner(out, RunnerOptions.DEFAULT); OrtRunner b = new OrtRunner(src, RunnerOptions.DEFAULT)) {
            Fidelity f = Evaluator.compare(a, b, Sentences.miniLmInputs(), Progress.NONE);
            assertTrue(f.meanCosine() > 0.9999, "cosine " + f.meanCosine());
            assertTrue(f.maxAbsDiff() < 0.02, "max abs diff " + f.maxAbsDiff());
        }
    }

    @SuppressWarnings("unchecked")
    private static List<String> castList(Object o) {
        return (List<String>) o;
    }

    @Test
    void graphModeOnChosenLayersCastsAroundThem() throws Exception {
        ModelSnapshot cnn = OnnxModels.load(TestModels.sampleCnn());
        Technique t = TechniqueRegistry.get(Fp16.ID);
        ModelSnapshot half = t.apply(cnn, Params.parse(t, Map.of("mode", "graph", "layers", "fc1,relu5,fc2")), TechniqueContext.of(Progress.NONE));
        Map<String, TensorProto> w = half.initializers();
        assertEquals(DType.FLOAT, Tensors.dtype(w.get("01Conv2d_weight")), "conv1 stays float32");
        assertEquals(DType.FLOAT16, Tensors.dtype(w.get("17Linear_weight_fp16")));
        assertEquals(DType.FLOAT16, Tensors.dtype(w.get("19Linear_weight_fp16")));
        NodeProto fc1 = half.graph().getNodeList().stream().filter(n -> n.getName().equals("fc1")).findFirst().orElseThrow();
        NodeProto before = half.graph().getNodeList().stream().filter(n -> n.getOutputList().contains(fc1.getInput(0))).findFirst().orElseThrow();
        assertEquals("Cast", before.getOpType(), "flat is cast to float16 before fc1");
        assertEquals(List.of("flat"), before.getInputList());
        Path file = TestModels.tempDir("fp16graph").resolve("cnn-fc-fp16.onnx");
        OnnxModels.save(half, file);
        Dataset data = Datasets.open(TestModels.sampleData(), Preprocessing.fromJson(cnn.metadata(Preprocessing.METADATA_KEY)));
        Map<String, Tensor> in = new Evaluator.Inputs(cnn, EvalConfig.defaults().withData(data)).batch(0, 500);
        try (OrtRunner a = new OrtRunner(file, RunnerOptions.DEFAULT); OrtRunner b = new OrtRunner(TestModels.sampleCnn(), RunnerOptions.DEFAULT)) {
            Fidelity.Accumulator acc = new Fidelity.Accumulator();
            acc.add(a.run(in).get("logits").floats(), b.run(in).get("logits").floats(), 10);
            assertTrue(acc.result().top1Agreement() >= 0.99, "top-1 agreement " + acc.result().top1Agreement());
        }
    }

    /** A graph with an input, weights of the given names and one output, rewritten by {@link GraphBuilder}. */
    private static ModelSnapshot empty(long[] xShape, long[] yShape, long opset) {
        ModelProto m = ModelProto.newBuilder().setIrVersion(8).setProducerName("test")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(opset))
                .setGraph(GraphProto.newBuilder().setName("g")
                        .addInput(ValueInfos.of("x", DType.FLOAT, xShape, List.of()))
                        .addOutput(ValueInfos.of("y", DType.FLOAT, yShape, List.of())))
                .build();
        return new ModelSnapshot(m, null, "small.onnx");
    }

    private static float[] gaussian(int n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    /**
     * MatMul, Gemm with a bias, and Clip as ReLU6: operators for which ONNX Runtime's x86 CPU provider has float16
     * kernels (Add, Relu, Tanh and most element-wise operators have none: it casts them to float32), so this graph
     * really computes in float16. Compared with the float32 result computed in Java: within 1e-2 of the output's range.
     */
    @Test
    void smallGraphRunsInFloat16WithinOnePercent() throws Exception {
        int b = 8;
        int k = 64;
        int m = 48;
        int n = 32;
        float[] w1 = gaussian(k * m, 1);
        float[] w2 = gaussian(n * m, 2);
        for (int i = 0; i < w1.length; i++) {
            w1[i] *= 0.125f;
        }
        for (int i = 0; i < w2.length; i++) {
            w2[i] *= 0.15f;
        }
        float[] bv = gaussian(n, 3);
        ModelSnapshot src = empty(new long[] {b, k}, new long[] {b, n}, 17);
        GraphBuilder g = new GraphBuilder(src);
        String wa = g.addInitializer(Tensors.floats("w1", new long[] {k, m}, w1));
        String wb = g.addInitializer(Tensors.floats("w2", new long[] {n, m}, w2));
        String bias = g.addInitializer(Tensors.floats("b", new long[] {n}, bv));
        String lo = g.addInitializer(Tensors.floats("lo", new long[0], new float[] {0f}));
        String hi = g.addInitializer(Tensors.floats("hi", new long[0], new float[] {6f}));
        g.add("MatMul", null, "mm", List.of("x", wa), List.of("h"));
        g.add("Gemm", null, "fc", List.of("h", wb, bias), List.of("z"), GraphBuilder.intAttr("transB", 1));
        g.add("Clip", null, "relu6", List.of("z", lo, hi), List.of("y"));
        ModelSnapshot fp32 = g.build("small");

        Technique t = TechniqueRegistry.get(Fp16.ID);
        TechniqueContext ctx = TechniqueContext.of(Progress.NONE);
        ModelSnapshot half = t.apply(fp32, Params.parse(t, Map.of("mode", "graph")), ctx);
        @SuppressWarnings("unchecked")
        Map<String, Object> d = (Map<String, Object>) ctx.details().get("fp16Graph");
        assertEquals(List.of(), d.get("float32HereOps"), "ONNX Runtime runs every node in float16 here: " + d.get("summary"));
        assertEquals(List.of("MatMul", "Gemm", "Clip"), d.get("float16HereOps"));
        for (String name : List.of("w1_fp16", "w2_fp16", "b_fp16", "lo_fp16", "hi_fp16")) {
            assertEquals(DType.FLOAT16, Tensors.dtype(half.initializers().get(name)), name);
        }

        float[] x = gaussian(b * k, 4);
        Path file = TestModels.tempDir("fp16graph").resolve("small.onnx");
        OnnxModels.save(half, file);
        float[] y;
        try (OrtRunner r = new OrtRunner(file, RunnerOptions.DEFAULT)) {
            y = r.run(Map.of("x", Tensor.of(x, b, k))).get("y").floats();
        }
        double maxRef = 0;
        double maxErr = 0;
        for (int i = 0; i < b; i++) {
            double[] h = new double[m];
            for (int j = 0; j < m; j++) {
                for (int kk = 0; kk < k; kk++) {
                    h[j] += (double) x[i * k + kk] * w1[kk * m + j];
                }
            }
            for (int j = 0; j < n; j++) {
                double s = bv[j];
                for (int jj = 0; jj < m; jj++) {
                    s += h[jj] * w2[j * m + jj];
                }
                double ref = Math.min(6, Math.max(0, s));
                maxRef = Math.max(maxRef, Math.abs(ref));
                maxErr = Math.max(maxErr, Math.abs(ref - y[i * n + j]));
            }
        }
        assertTrue(maxRef > 1, "the outputs are not all clipped to zero: " + maxRef);
        assertTrue(maxErr <= 1e-2 * maxRef, "largest difference " + maxErr + " against outputs up to " + maxRef);
        assertTrue(maxErr > 0, "the float16 graph does not compute in float32");
    }

    /** Range has no float16 form in the ONNX specification: it stays float32, and a Cast takes its output to float16. */
    @Test
    void operatorsWithoutAFloat16FormStayFloat32() throws Exception {
        ModelSnapshot src = empty(new long[] {4}, new long[] {4}, 17);
        GraphBuilder g = new GraphBuilder(src);
        String start = g.addInitializer(Tensors.floats("start", new long[0], new float[] {0.5f}));
        String limit = g.addInitializer(Tensors.floats("limit", new long[0], new float[] {4.5f}));
        String delta = g.addInitializer(Tensors.floats("delta", new long[0], new float[] {1f}));
        g.add("Range", null, "range", List.of(start, limit, delta), List.of("r"));
        g.add("Add", null, "add", List.of("x", "r"), List.of("y"));
        ModelSnapshot fp32 = g.build("range");
        Technique t = TechniqueRegistry.get(Fp16.ID);
        ModelSnapshot half = t.apply(fp32, Params.parse(t, Map.of("mode", "graph")), TechniqueContext.of(Progress.NONE));
        NodeProto range = half.graph().getNodeList().stream().filter(n -> n.getOpType().equals("Range")).findFirst().orElseThrow();
        for (String in : range.getInputList()) {
            assertEquals(DType.FLOAT, Tensors.dtype(half.initializers().get(in)), in);
        }
        NodeProto add = half.graph().getNodeList().stream().filter(n -> n.getOpType().equals("Add")).findFirst().orElseThrow();
        NodeProto cast = half.graph().getNodeList().stream().filter(n -> n.getOutputList().contains(add.getInput(1))).findFirst().orElseThrow();
        assertEquals("Cast", cast.getOpType());
        assertEquals(List.of("r"), cast.getInputList());
        Path file = TestModels.tempDir("fp16graph").resolve("range.onnx");
        OnnxModels.save(half, file);
        try (OrtRunner r = new OrtRunner(file, RunnerOptions.DEFAULT)) {
            float[] y = r.run(Map.of("x", Tensor.of(new float[] {1, 2, 3, 4}, 4))).get("y").floats();
            assertArrayEquals(new float[] {1.5f, 3.5f, 5.5f, 7.5f}, y, 1e-3f);
        }
    }

    /**
     * A graph whose values leave float16's range: x times 1e4 times 1e4, by two MatMuls with 1e4 x identity (MatMul has a
     * float16 kernel here, so ONNX Runtime computes it in float16; for Mul it would compute in float32 and hide the overflow).
     */
    public static ModelSnapshot overflowing() {
        ModelSnapshot src = empty(new long[] {2, 3}, new long[] {2, 3}, 17);
        GraphBuilder g = new GraphBuilder(src);
        float[] k = new float[9];
        k[0] = 1e4f;
        k[4] = 1e4f;
        k[8] = 1e4f;
        String w = g.addInitializer(Tensors.floats("k", new long[] {3, 3}, k));
        g.add("MatMul", null, "scale1", List.of("x", w), List.of("h"));
        g.add("MatMul", null, "scale2", List.of("h", w), List.of("y"));
        return g.build("overflow");
    }

    @Test
    void aGraphThatOverflowsFloat16IsRefusedWithOneSentence() {
        Technique t = TechniqueRegistry.get(Fp16.ID);
        EdgeFitException e = assertThrows(EdgeFitException.class,
                () -> t.apply(overflowing(), Params.parse(t, Map.of("mode", "graph")), TechniqueContext.of(Progress.NONE)));
        assertEquals(EdgeFitException.Kind.NOT_APPLICABLE, e.kind());
        String m = e.getMessage();
        assertTrue(m.startsWith("overflow: "), m);
        assertTrue(m.contains("output y") && m.contains("NaN or infinite") && m.contains("mode=weights"), m);
        assertEquals(1, m.split("(?<=[.!?])\\s+(?=[A-Z])").length, "one sentence: " + m);
        // the weights mode stores the same graph without trouble
        assertNotNull(t.apply(overflowing(), Params.parse(t, Map.of("min-elements", "0")), TechniqueContext.of(Progress.NONE)));
    }

    @Test
    void modeIsOneOfTwo() {
        Technique t = TechniqueRegistry.get(Fp16.ID);
        EdgeFitException e = assertThrows(EdgeFitException.class, () -> Params.parse(t, Map.of("mode", "everything")));
        assertTrue(e.getMessage().contains("'mode'") && e.getMessage().contains("weights, graph"), e.getMessage());
        assertEquals("weights", Params.defaults(t).getString("mode"));
    }

    /** An attention mask's -3.4e38 and an epsilon of 1e-12 stay float32 in weights mode; a table with a few tiny values does not. */
    @Test
    void valuesFloat16CannotHoldStayFloat32() {
        assertFalse(Fp16.fitsHalf(Tensors.floats("mask", new long[0], new float[] {-3.4e38f})));
        assertFalse(Fp16.fitsHalf(Tensors.floats("eps", new long[0], new float[] {1e-12f})));
        assertTrue(Fp16.fitsHalf(Tensors.floats("w", new long[] {3}, new float[] {0.5f, 1e-9f, -2f})));
        assertTrue(Fp16.fitsHalf(Tensors.floats("zero", new long[0], new float[] {0f})));
    }
}
