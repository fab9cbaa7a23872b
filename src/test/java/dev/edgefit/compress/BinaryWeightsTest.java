package dev.edgefit.compress;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.edgefit.TestModels;
import dev.edgefit.common.EdgeFitException;
import dev.edgefit.common.Progress;
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
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class BinaryWeightsTest {

    private static ModelSnapshot oneNode(String op, TensorProto w, long[] xShape, long[] yShape) {
        NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName("layer").addInput("x").addInput("w").addOutput("y");
        ModelProto model = ModelProto.newBuilder().setIrVersion(8).setProducerName("test")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(13))
                .setGraph(GraphProto.newBuilder().setName("g").addNode(n).addInitializer(w.toBuilder().setName("w"))
                        .addInput(ValueInfos.of("x", DType.FLOAT, xShape, List.of()))
                        .addOutput(ValueInfos.of("y", DType.FLOAT, yShape, List.of())))
                .build();
        return new ModelSnapshot(model, null, op);
    }

    private static float[] run(ModelSnapshot m, float[] x, long[] shape, String name) {
        Path file = TestModels.tempDir("binary").resolve(name + ".onnx");
        OnnxModels.save(m, file);
        try (OrtRunner r = new OrtRunner(file, RunnerOptions.DEFAULT)) {
            return r.run(Map.of("x", Tensor.of(x, shape))).get("y").floats();
        }
    }

    private static float[] gaussian(int n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    @Test
    void matMulWithARealWeightComputesSignTimesChannelScale() throws Exception {
        TensorProto w = OnnxModels.load(TestModels.miniLm()).initializers().values().stream()
                .filter(t -> t.getDimsCount() == 2 && t.getDims(0) == 384 && t.getDims(1) == 1536).findFirst().orElseThrow();
        ModelSnapshot src = oneNode("MatMul", w, new long[] {2, 384}, new long[] {2, 1536});
        Technique t = new BinaryWeights();
        ModelSnapshot b = t.apply(src, Params.parse(t, Map.of("keep-first-and-last", "false")), TechniqueContext.of(Progress.NONE));
        float[] x = gaussian(2 * 384, 1);
        float[] y = run(b, x, new long[] {2, 384}, "matmul");
        float[] wr = BinaryWeights.reference(Tensors.toFloats(w), Tensors.dims(w), 1);
        for (int row = 0; row < 2; row++) {
            for (int col = 0; col < 1536; col++) {
                double ref = 0;
                for (int k = 0; k < 384; k++) {
                    ref += (double) x[row * 384 + k] * wr[k * 1536 + col];
                }
                assertEquals(ref, y[row * 1536 + col], 1e-4 * Math.max(1, Math.abs(ref)));
            }
        }
        Path file = TestModels.tempDir("binary").resolve("size.onnx");
        OnnxModels.save(b, file);
        assertTrue(Files.size(file) < 384 * 1536 / 8 + 2 * 1536 * 4 + 2048, "1 bit per weight plus scales: " + Files.size(file));
    }

    @Test
    void convWeightsScalePerOutputChannel() {
        int cout = 6;
        int cin = 4;
        float[] wv = gaussian(cout * cin * 9, 2);
        TensorProto w = Tensors.floats("w", new long[] {cout, cin, 3, 3}, wv);
        ModelSnapshot src = oneNode("Conv", w, new long[] {1, cin, 5, 5}, new long[] {1, cout, 3, 3});
        Technique t = new BinaryWeights();
        ModelSnapshot b = t.apply(src, Params.parse(t, Map.of("keep-first-and-last", "false", "min-elements", "0")), TechniqueContext.of(Progress.NONE));
        float[] x = gaussian(cin * 25, 3);
        float[] y = run(b, x, new long[] {1, cin, 5, 5}, "conv");
        float[] wr = BinaryWeights.reference(wv, new long[] {cout, cin, 3, 3}, 0);
        for (int o = 0; o < cout; o++) {
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 3; j++) {
                    double ref = 0;
                    for (int c = 0; c < cin; c++) {
                        for (int ki = 0; ki < 3; ki++) {
                            for (int kj = 0; kj < 3; kj++) {
                                ref += x[c * 25 + (i + ki) * 5 + j + kj] * wr[((o * cin + c) * 3 + ki) * 3 + kj];
                            }
                        }
                    }
                    assertEquals(ref, y[(o * 3 + i) * 3 + j], 1e-4 * Math.max(1, Math.abs(ref)));
                }
            }
        }
    }

    @Test
    void keepingFirstAndLastOfOneLayerLeavesNothing() {
        TensorProto w = Tensors.floats("w", new long[] {64, 32}, gaussian(64 * 32, 4));
        ModelSnapshot src = oneNode("MatMul", w, new long[] {1, 64}, new long[] {1, 32});
        Technique t = new BinaryWeights();
        EdgeFitException e = assertThrows(EdgeFitException.class, () -> t.apply(src, Params.defaults(t), TechniqueContext.of(Progress.NONE)));
        assertEquals(EdgeFitException.Kind.NOT_APPLICABLE, e.kind());
        assertTrue(e.getMessage().contains("first and last"), e.getMessage());
    }
}
