package dev.edgefit.compress;

import dev.edgefit.Sentences;
import dev.edgefit.TestModels;
import dev.edgefit.common.Progress;
import dev.edgefit.eval.Evaluator;
import dev.edgefit.eval.Fidelity;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.OnnxModels;
import dev.edgefit.runtime.OrtRunner;
import dev.edgefit.runtime.RunnerOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class Int8StaticTest {

    @ParameterizedTest
    @ValueSource(strings = {"minmax", "percentile", "entropy"})
    void miniLmMatMulsInQdqRunAndStayClose(String calibration) throws Exception {
        Path src = TestModels.miniLm();
        Technique t = TechniqueRegistry.get(Int8Static.ID);
        ModelSnapshot q = t.apply(OnnxModels.load(src), Params.parse(t, Map.of("calibration", calibration, "samples", "8",
                "op-types", "MatMul", "per-channel", "false")), TechniqueContext.of(Progress.NONE));
        long dq = q.graph().getNodeList().stream().filter(n -> n.getOpType().equals("DequantizeLinear")).count();
        long ql = q.graph().getNodeList().stream().filter(n -> n.getOpType().equals("QuantizeLinear")).count();
        assertTrue(ql > 0 && dq >= ql + 36, "QDQ pairs on activations plus 36 weight DequantizeLinear: " + ql + " Q, " + dq + " DQ");
        Path out = TestModels.tempDir("int8s").resolve("minilm-" + calibration + ".onnx");
        OnnxModels.save(q, out);
        // the 10.6 M projection weights (42.5 MB in float) take a quarter of the bytes; embeddings stay float
        long saved = Files.size(src) - Files.size(out);
        assertEquals(6L * 1_769_472 * 3, saved, 0.01 * saved, "bytes saved");
        try (OrtRunner a = new OrtRunner(out, RunnerOptions.DEFAULT); OrtRunner b = new OrtRunner(src, RunnerOptions.DEFAULT)) {
            Fidelity f = Evaluator.compare(a, b, Sentences.miniLmInputs(), Progress.NONE);
            System.out.println("int8-static " + calibration + " MiniLM cosine " + f.meanCosine());
            // per-tensor weights, ranges fixed from 8 generated inputs, real sentences measured: minmax 0.953 here;
            // clipping the tails (percentile 0.814, entropy 0.807) hurts a transformer's outlier features. The
            // sample CNN test holds the accuracy target.
            assertTrue(f.meanCosine() > (calibration.equals("minmax") ? 0.93 : 0.75), calibration + ": cosine " + f.meanCosine());
        }
    }

    @Test
    void percentileClipsEachTail() {
        long[] h = new long[ActivationRanges.BINS];
        java.util.Arrays.fill(h, 10);           // uniform on [-1, 1], 20480 values
        float[] r = ActivationRanges.percentileRange(h, -1f, 1f, 99.0);
        // 1% of 20480 = 204.8 values per tail = 20 whole bins of width 2/2048
        assertEquals(-1 + 20 * 2.0 / 2048, r[0], 1e-6);
        assertEquals(1 - 20 * 2.0 / 2048, r[1], 1e-6);
        float[] all = ActivationRanges.percentileRange(h, -1f, 1f, 100.0);
        assertEquals(-1f, all[0], 1e-6);
        assertEquals(1f, all[1], 1e-6);
    }

    @Test
    void entropyThresholdIgnoresRareOutliers() {
        java.util.Random rnd = new java.util.Random(1);
        long[] h = new long[ActivationRanges.BINS];
        double amax = 40;                        // one outlier at 40 stretches the range; the bulk is |N(0,1)|
        for (int i = 0; i < 200_000; i++) {
            h[ActivationRanges.bin(Math.abs(rnd.nextGaussian()), 0, amax)]++;
        }
        h[ActivationRanges.bin(40, 0, amax)]++;
        double t = ActivationRanges.entropyThreshold(h, amax);
        assertTrue(t > 2.5 && t < 10, "threshold " + t + " should cover the Gaussian bulk and drop the outlier");
    }

    @Test
    void biasCorrectionRemovesTheMeanOutputShift() throws Exception {
        ModelSnapshot cnn = OnnxModels.load(TestModels.sampleCnn());
        var data = dev.edgefit.data.Datasets.open(TestModels.sampleData(),
                dev.edgefit.data.Preprocessing.fromJson(cnn.metadata(dev.edgefit.data.Preprocessing.METADATA_KEY)));
        Technique t = new Int8Static();
        Path dir = TestModels.tempDir("biascorr");
        double[] shift = new double[2];
        for (int i = 0; i < 2; i++) {
            // per-tensor weights round coarsely, so their systematic error is visible in the logits
            ModelSnapshot q = t.apply(cnn, Params.parse(t, Map.of("per-channel", "false", "samples", "200",
                    "bias-correction", i == 0 ? "false" : "true")), new TechniqueContext(Progress.NONE, data));
            Path file = dir.resolve("bc" + i + ".onnx");
            OnnxModels.save(q, file);
            double[] meanErr = new double[10];
            int n = 500;
            try (OrtRunner a = new OrtRunner(file, RunnerOptions.DEFAULT); OrtRunner f = new OrtRunner(TestModels.sampleCnn(), RunnerOptions.DEFAULT)) {
                for (int s = 0; s < n; s++) {
                    var in = Map.of("input", dev.edgefit.runtime.Tensor.of(data.sample(1000 + s), 1, 1, 28, 28));
                    float[] qa = a.run(in).get("logits").floats();
                    float[] fa = f.run(in).get("logits").floats();
                    for (int c = 0; c < 10; c++) {
                        meanErr[c] += (qa[c] - fa[c]) / n;
                    }
                }
            }
            for (double e : meanErr) {
                shift[i] += e * e;
            }
            shift[i] = Math.sqrt(shift[i]);
        }
        System.out.printf("mean logit shift without bias correction %.4f, with %.4f%n", shift[0], shift[1]);
        assertTrue(shift[1] < shift[0], "bias correction shrinks the systematic output error: " + shift[0] + " -> " + shift[1]);
    }

    /**
     * Per-tensor weights give one bias scale: before opset 13 DequantizeLinear has no axis and takes only a scalar scale,
     * so an int32 bias written with axis=0 and a scale per channel made ONNX Runtime refuse the whole file.
     */
    @ParameterizedTest
    @ValueSource(ints = {12, 17})
    void perTensorWeightsWriteAGraphOnnxRuntimeLoads(int opset) throws Exception {
        ModelSnapshot cnn = OnnxModels.load(TestModels.sampleCnn());
        var proto = cnn.proto().toBuilder().clearOpsetImport()
                .addOpsetImport(ai.onnx.proto.OnnxMl.OperatorSetIdProto.newBuilder().setVersion(opset)).build();
        ModelSnapshot src = cnn.derive(proto, "cnn-opset" + opset);
        var data = dev.edgefit.data.Datasets.open(TestModels.sampleData(),
                dev.edgefit.data.Preprocessing.fromJson(cnn.metadata(dev.edgefit.data.Preprocessing.METADATA_KEY)));
        Technique t = new Int8Static();
        ModelSnapshot q = t.apply(src, Params.parse(t, Map.of("per-channel", "false", "samples", "64")), new TechniqueContext(Progress.NONE, data));
        for (var n : q.graph().getNodeList()) {
            if (n.getOpType().equals("DequantizeLinear")) {
                assertFalse(dev.edgefit.model.Nodes.hasAttr(n, "axis"), n.getName() + ": per-tensor, no axis");
                assertEquals(0, q.initializers().get(n.getInput(1)).getDimsCount(), n.getName() + ": one scale");
            }
        }
        Path file = TestModels.tempDir("int8s-pt").resolve("cnn" + opset + ".onnx");
        OnnxModels.save(q, file);
        int agree = 0;
        try (OrtRunner a = new OrtRunner(file, RunnerOptions.DEFAULT); OrtRunner f = new OrtRunner(TestModels.sampleCnn(), RunnerOptions.DEFAULT)) {
            for (int s = 0; s < 100; s++) {
                var in = Map.of("input", dev.edgefit.runtime.Tensor.of(data.sample(1000 + s), 1, 1, 28, 28));
                agree += argmax(a.run(in).get("logits").floats()) == argmax(f.run(in).get("logits").floats()) ? 1 : 0;
            }
        }
        assertTrue(agree >= 95, "top-1 agreement with the float model on 100 images: " + agree);
    }

    private static int argmax(float[] v) {
        int a = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[a]) {
                a = i;
            }
        }
        return a;
    }
}
