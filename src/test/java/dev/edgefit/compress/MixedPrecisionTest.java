package dev.edgefit.compress;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.edgefit.TestModels;
import dev.edgefit.common.Progress;
import dev.edgefit.model.DType;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.OnnxModels;
import dev.edgefit.model.ValueInfos;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class MixedPrecisionTest {
    private static ModelSnapshot mlp;

    /** A 3-layer MLP made of MiniLM's real first-layer weights: FFN in (384x1536), FFN out (1536x384), query (384x384). */
    @BeforeAll
    static void build() {
        ModelSnapshot m = OnnxModels.load(TestModels.miniLm());
        List<TensorProto> ws = m.initializers().values().stream().filter(t -> t.getDimsCount() == 2).toList();
        TensorProto up = ws.stream().filter(t -> t.getDims(0) == 384 && t.getDims(1) == 1536).findFirst().orElseThrow();
        TensorProto down = ws.stream().filter(t -> t.getDims(0) == 1536 && t.getDims(1) == 384).findFirst().orElseThrow();
        TensorProto q = ws.stream().filter(t -> t.getDims(0) == 384 && t.getDims(1) == 384).findFirst().orElseThrow();
        GraphProto g = GraphProto.newBuilder().setName("mlp")
                .addNode(NodeProto.newBuilder().setOpType("MatMul").setName("up").addInput("x").addInput("w_up").addOutput("h"))
                .addNode(NodeProto.newBuilder().setOpType("Relu").setName("relu").addInput("h").addOutput("r"))
                .addNode(NodeProto.newBuilder().setOpType("MatMul").setName("down").addInput("r").addInput("w_down").addOutput("d"))
                .addNode(NodeProto.newBuilder().setOpType("MatMul").setName("query").addInput("d").addInput("w_q").addOutput("y"))
                .addInitializer(up.toBuilder().setName("w_up")).addInitializer(down.toBuilder().setName("w_down"))
                .addInitializer(q.toBuilder().setName("w_q"))
                .addInput(ValueInfos.of("x", DType.FLOAT, new long[] {-1, 384}, List.of("batch")))
                .addOutput(ValueInfos.of("y", DType.FLOAT, new long[] {-1, 384}, List.of("batch"))).build();
        mlp = new ModelSnapshot(ModelProto.newBuilder().setIrVersion(8).addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(13))
                .setGraph(g).build(), null, "mlp");
    }

    @SuppressWarnings("unchecked")
    private static List<MixedPrecision.Sensitivity> table(TechniqueContext ctx) {
        return (List<MixedPrecision.Sensitivity>) ctx.details().get("sensitivity");
    }

    @Test
    void sensitivityIsMeasuredPerLayerAndPrecision() throws Exception {
        Technique t = new MixedPrecision();
        TechniqueContext ctx = TechniqueContext.of(Progress.NONE);
        ModelSnapshot out = t.apply(mlp, Params.parse(t, Map.of("samples", "16", "max-drop", "0.002")), ctx);
        List<MixedPrecision.Sensitivity> rows = table(ctx);
        assertEquals(List.of("up", "down", "query"), rows.stream().map(MixedPrecision.Sensitivity::layer).toList());
        for (MixedPrecision.Sensitivity r : rows) {
            Map<String, Double> d = r.dropByPrecision();
            assertEquals(List.of("fp16", "int8", "int4"), List.copyOf(d.keySet()));
            assertTrue(d.get("fp16") < 1e-4, r + ": fp16 loses next to nothing");
            assertTrue(d.get("int4") > d.get("int8"), r + ": int4 loses more than int8");
        }
        assertTrue((double) ctx.details().get("predictedDrop") <= 0.002);
        assertTrue(rows.stream().noneMatch(r -> r.chosen().equals("int4")), "int4 costs more than a 0.002 budget: " + rows);
        Path file = TestModels.tempDir("mixed").resolve("mlp.onnx");
        OnnxModels.save(out, file);
        assertTrue(Files.size(file) < 0.6 * (384 * 1536 * 2 + 384 * 384) * 4, "some layers went below fp32");
    }

    @Test
    void aSizeBudgetPushesLayersToInt4() {
        Technique t = new MixedPrecision();
        TechniqueContext ctx = TechniqueContext.of(Progress.NONE);
        t.apply(mlp, Params.parse(t, Map.of("samples", "8", "target", "size", "size-ratio", "0.2")), ctx);
        @SuppressWarnings("unchecked")
        Map<String, Long> bytes = (Map<String, Long>) ctx.details().get("layerWeightBytes");
        assertTrue(bytes.get("chosen") <= 0.2 * bytes.get("float32"), bytes.toString());
        assertEquals(Boolean.TRUE, ctx.details().get("sizeGoalReached"));
        // int4 with a float scale per 32 weights is 0.156 of float32: a goal of 0.1 cannot be met, and says so
        TechniqueContext tight = TechniqueContext.of(Progress.NONE);
        t.apply(mlp, Params.parse(t, Map.of("samples", "4", "target", "size", "size-ratio", "0.1")), tight);
        assertEquals(Boolean.FALSE, tight.details().get("sizeGoalReached"));
        assertTrue(table(ctx).stream().filter(r -> r.chosen().equals("int4")).count() >= 2, table(ctx).toString());
    }
}
