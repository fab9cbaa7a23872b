package dev.edgefit.compress;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
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

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class LayerFusionTest {

    private static float[] rnd(int n, Random r, float offset, float spread) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = offset + spread * (float) r.nextGaussian();
        }
        return v;
    }

    /** x -> Conv(8->16, 3x3) -> BatchNorm -> Relu -> Identity -> Conv(16->4, 1x1, no bias) -> BatchNorm -> y */
    private static ModelSnapshot convBnModel() {
        Random r = new Random(11);
        GraphProto.Builder g = GraphProto.newBuilder().setName("g");
        g.addInitializer(Tensors.floats("w1", new long[] {16, 8, 3, 3}, rnd(16 * 8 * 9, r, 0, 0.2f)));
        g.addInitializer(Tensors.floats("b1", new long[] {16}, rnd(16, r, 0, 0.1f)));
        g.addInitializer(Tensors.floats("w2", new long[] {4, 16, 1, 1}, rnd(64, r, 0, 0.3f)));
        for (String p : List.of("bn1", "bn2")) {
            int c = p.equals("bn1") ? 16 : 4;
            g.addInitializer(Tensors.floats(p + "_g", new long[] {c}, rnd(c, r, 1, 0.2f)));
            g.addInitializer(Tensors.floats(p + "_b", new long[] {c}, rnd(c, r, 0, 0.2f)));
            g.addInitializer(Tensors.floats(p + "_m", new long[] {c}, rnd(c, r, 0, 0.5f)));
            float[] var = rnd(c, r, 1, 0.3f);
            for (int i = 0; i < c; i++) {
                var[i] = Math.abs(var[i]) + 0.1f;
            }
            g.addInitializer(Tensors.floats(p + "_v", new long[] {c}, var));
        }
        AttributeProto pads = AttributeProto.newBuilder().setName("pads").setType(AttributeProto.AttributeType.INTS).addAllInts(List.of(1L, 1L, 1L, 1L)).build();
        g.addNode(NodeProto.newBuilder().setOpType("Conv").setName("conv1").addInput("x").addInput("w1").addInput("b1").addOutput("c1").addAttribute(pads));
        g.addNode(NodeProto.newBuilder().setOpType("BatchNormalization").setName("bn1").addAllInput(List.of("c1", "bn1_g", "bn1_b", "bn1_m", "bn1_v")).addOutput("n1"));
        g.addNode(NodeProto.newBuilder().setOpType("Relu").setName("relu1").addInput("n1").addOutput("r1"));
        g.addNode(NodeProto.newBuilder().setOpType("Identity").setName("id").addInput("r1").addOutput("i1"));
        g.addNode(NodeProto.newBuilder().setOpType("Conv").setName("conv2").addInput("i1").addInput("w2").addOutput("c2"));
        g.addNode(NodeProto.newBuilder().setOpType("BatchNormalization").setName("bn2").addAllInput(List.of("c2", "bn2_g", "bn2_b", "bn2_m", "bn2_v")).addOutput("y"));
        g.addInput(ValueInfos.of("x", DType.FLOAT, new long[] {1, 8, 6, 6}, List.of()));
        g.addOutput(ValueInfos.of("y", DType.FLOAT, new long[] {1, 4, 6, 6}, List.of()));
        return new ModelSnapshot(ModelProto.newBuilder().setIrVersion(8).addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(13)).setGraph(g).build(), null, "convbn");
    }

    @Test
    void foldedModelComputesTheSameWithFewerNodes() {
        ModelSnapshot src = convBnModel();
        Technique t = new LayerFusion();
        ModelSnapshot fused = t.apply(src, Params.defaults(t), TechniqueContext.of(Progress.NONE));
        assertEquals(List.of("Conv", "Relu", "Conv"), fused.graph().getNodeList().stream().map(NodeProto::getOpType).toList());
        assertFalse(fused.initializers().containsKey("bn1_g"), "BatchNorm parameters are gone");
        Path dir = TestModels.tempDir("fuse");
        Path a = dir.resolve("a.onnx");
        Path b = dir.resolve("b.onnx");
        OnnxModels.save(src, a);
        OnnxModels.save(fused, b);
        float[] x = rnd(8 * 36, new Random(5), 0, 1);
        RunnerOptions noOpt = new RunnerOptions(1, RunnerOptions.OptLevel.NONE);
        try (OrtRunner ra = new OrtRunner(a, noOpt); OrtRunner rb = new OrtRunner(b, noOpt)) {
            float[] ya = ra.run(Map.of("x", Tensor.of(x, 1, 8, 6, 6))).get("y").floats();
            float[] yb = rb.run(Map.of("x", Tensor.of(x, 1, 8, 6, 6))).get("y").floats();
            for (int i = 0; i < ya.length; i++) {
                assertEquals(ya[i], yb[i], 1e-4f * Math.max(1, Math.abs(ya[i])), "output " + i);
            }
        }
        EdgeFitException e = assertThrows(EdgeFitException.class, () -> t.apply(fused, Params.defaults(t), TechniqueContext.of(Progress.NONE)));
        assertEquals(EdgeFitException.Kind.NOT_APPLICABLE, e.kind());
    }
}
