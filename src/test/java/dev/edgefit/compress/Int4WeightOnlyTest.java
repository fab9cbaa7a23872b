package dev.edgefit.compress;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.edgefit.Sentences;
import dev.edgefit.TestModels;
import dev.edgefit.common.Progress;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class Int4WeightOnlyTest {

    /** A real weight: MiniLM's first feed-forward matrix [384, 1536]. */
    private static TensorProto realWeight() {
        ModelSnapshot m = OnnxModels.load(TestModels.miniLm());
        return m.initializers().values().stream().filter(t -> t.getDimsCount() == 2 && t.getDims(0) == 384 && t.getDims(1) == 1536)
                .findFirst().orElseThrow();
    }

    @ParameterizedTest
    @CsvSource({"32,true", "128,true", "32,false", "64,false"})
    void onnxRuntimeComputesWhatTheBlocksStandFor(int block, boolean symmetric) throws Exception {
        TensorProto w = realWeight();
        int k = 384;
        int n = 1536;
        ModelProto model = ModelProto.newBuilder().setIrVersion(8).setProducerName("test")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(17))
                .setGraph(GraphProto.newBuilder().setName("g")
                        .addNode(NodeProto.newBuilder().setOpType("MatMul").setName("mm").addInput("x").addInput("w").addOutput("y"))
                        .addInitializer(w.toBuilder().setName("w"))
                        .addInput(ValueInfos.of("x", DType.FLOAT, new long[] {3, k}, List.of()))
                        .addOutput(ValueInfos.of("y", DType.FLOAT, new long[] {3, n}, List.of())))
                .build();
        ModelSnapshot src = new ModelSnapshot(model, null, "matmul");
        Technique t = new Int4WeightOnly();
        ModelSnapshot q = t.apply(src, Params.parse(t, Map.of("block-size", "" + block, "symmetric", "" + symmetric)),
                TechniqueContext.of(Progress.NONE));
        Path file = TestModels.tempDir("int4").resolve("mm.onnx");
        OnnxModels.save(q, file);

        float[] x = new float[3 * k];
        Random r = new Random(3);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        float[] wq = Int4WeightOnly.dequantize(Int4WeightOnly.quantize(Tensors.toFloats(w), k, n, false, block, symmetric), k, n, block);
        float[] wf = Tensors.toFloats(w);
        double errQ = 0;
        double scale = 0;
        try (OrtRunner runner = new OrtRunner(file, RunnerOptions.DEFAULT)) {
            float[] y = runner.run(Map.of("x", Tensor.of(x, 3, k))).get("y").floats();
            for (int row = 0; row < 3; row++) {
                for (int col = 0; col < n; col++) {
                    double ref = 0;
                    for (int kk = 0; kk < k; kk++) {
                        ref += (double) x[row * k + kk] * wq[kk * n + col];
                    }
                    errQ = Math.max(errQ, Math.abs(ref - y[row * n + col]));
                    scale = Math.max(scale, Math.abs(ref));
                }
            }
        }
        assertTrue(errQ <= 1e-4 * Math.max(1, scale), "MatMulNBits differs from the dequantized reference by " + errQ);
        // and the 4-bit weights are close to the float ones: mean relative error per block is small
        double num = 0;
        double den = 0;
        for (int i = 0; i < wf.length; i++) {
            num += Math.abs(wf[i] - wq[i]);
            den += Math.abs(wf[i]);
        }
        assertTrue(num / den < 0.15, "mean relative weight error " + num / den);
    }

    @Test
    void miniLmInt4IsSmallerAndStillClose() throws Exception {
        Path src = TestModels.miniLm();
        Technique t = TechniqueRegistry.get(Int4WeightOnly.ID);
        ModelSnapshot q = t.apply(OnnxModels.load(src), Params.defaults(t), TechniqueContext.of(Progress.NONE));
        assertEquals(36, q.graph().getNodeList().stream().filter(nd -> nd.getOpType().equals("MatMulNBits")).count());
        Path out = TestModels.tempDir("int4").resolve("minilm-int4.onnx");
        OnnxModels.save(q, out);
        // 10.6 M projection weights (6 x 1,769,472) go from 4 bytes to 0.625 bytes each (4 bits + a float scale per 32)
        long saved = Files.size(src) - Files.size(out);
        long expected = 6L * 1_769_472 * 4 - 6L * 1_769_472 * 5 / 8;
        assertEquals(expected, saved, 0.005 * expected, "saved bytes");
        try (OrtRunner a = new OrtRunner(out, RunnerOptions.DEFAULT); OrtRunner b = new OrtRunner(src, RunnerOptions.DEFAULT)) {
            Fidelity f = Evaluator.compare(a, b, Sentences.miniLmInputs(), Progress.NONE);
            assertTrue(f.meanCosine() > 0.95, "cosine " + f.meanCosine());
        }
    }
}
