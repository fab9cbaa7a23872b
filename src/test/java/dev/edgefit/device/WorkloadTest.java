package dev.edgefit.device;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import dev.edgefit.TestModels;
import dev.edgefit.compress.Int8Static;
import dev.edgefit.compress.Params;
import dev.edgefit.compress.Technique;
import dev.edgefit.compress.TechniqueContext;
import dev.edgefit.common.Progress;
import dev.edgefit.data.Datasets;
import dev.edgefit.data.Preprocessing;
import dev.edgefit.model.DType;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.OnnxModels;
import dev.edgefit.model.Tensors;
import dev.edgefit.model.ValueInfos;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WorkloadTest {
    /**
     * x[1,4] -MatMul-> a[1,16] -Relu-> b -Relu-> c; d = Add(a, c); y = MatMul(d)[1,2]. The skip connection keeps
     * a alive across the two Relus, so while c is computed a, b and c are alive: 3 x 16 floats = 192 bytes, the
     * peak. (Graph order: mm1, relu1, relu2, add, mm2.)
     */
    static ModelSnapshot skipGraph() {
        GraphProto.Builder g = GraphProto.newBuilder().setName("skip");
        g.addInitializer(Tensors.floats("w1", new long[] {4, 16}, new float[64]));
        g.addInitializer(Tensors.floats("w2", new long[] {16, 2}, new float[32]));
        g.addNode(NodeProto.newBuilder().setOpType("MatMul").setName("mm1").addInput("x").addInput("w1").addOutput("a"));
        g.addNode(NodeProto.newBuilder().setOpType("Relu").setName("relu1").addInput("a").addOutput("b"));
        g.addNode(NodeProto.newBuilder().setOpType("Relu").setName("relu2").addInput("b").addOutput("c"));
        g.addNode(NodeProto.newBuilder().setOpType("Add").setName("add").addInput("a").addInput("c").addOutput("d"));
        g.addNode(NodeProto.newBuilder().setOpType("MatMul").setName("mm2").addInput("d").addInput("w2").addOutput("y"));
        g.addInput(ValueInfos.of("x", DType.FLOAT, new long[] {1, 4}, List.of()));
        g.addOutput(ValueInfos.of("y", DType.FLOAT, new long[] {1, 2}, List.of()));
        return new ModelSnapshot(ModelProto.newBuilder().setIrVersion(8).addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(13))
                .setGraph(g).build(), null, "skip");
    }

    @Test
    void skipConnectionPeakAndPerOperatorWork() {
        Workload w = Workload.of(skipGraph(), null);
        assertEquals(List.of("MatMul", "Relu", "Relu", "Add", "MatMul"), w.ops().stream().map(Workload.Op::opType).toList());
        assertEquals(192, w.peakActivationBytes(), "a, b and c alive while relu2 runs");
        Workload.Op mm1 = w.ops().get(0);
        assertEquals(64, mm1.macs(), "4 x 16 MACs");
        assertTrue(mm1.hasMacs());
        assertEquals(256, mm1.weightBytes(), "64 float weights");
        assertEquals(16, mm1.inBytes());
        assertEquals(64, mm1.outBytes());
        assertEquals("fp32", mm1.precision());
        Workload.Op add = w.ops().get(3);
        assertEquals(16, add.macs(), "one operation per output element");
        assertEquals(128, add.inBytes());
        assertEquals(32, w.ops().get(4).macs());
        assertEquals((64 + 32) * 4, w.weightBytes());

        Workload int8 = Workload.of(skipGraph(), "int8");
        assertEquals(48, int8.peakActivationBytes(), "the same three tensors at one byte per element");
        assertEquals(64 + 32, int8.weightBytes());
        assertTrue(int8.ops().stream().allMatch(o -> o.precision().equals("int8")));
    }

    @Test
    void sileroVadIfBranchCountsItsMacsAndWeights() {
        ModelSnapshot vad = OnnxModels.load(dev.edgefit.ModelCorpus.VAD_LEGACY.path());
        java.util.Map<String, dev.edgefit.runtime.Tensor> in = new java.util.HashMap<>();
        float[] audio = new float[512];
        java.util.Arrays.fill(audio, 0.01f);
        in.put("input", dev.edgefit.runtime.Tensor.of(audio, 1, 512));
        in.put("sr", dev.edgefit.runtime.Tensor.of(new long[] {16000}));
        in.put("h", dev.edgefit.runtime.Tensor.of(new float[128], 2, 1, 64));
        in.put("c", dev.edgefit.runtime.Tensor.of(new float[128], 2, 1, 64));
        var shapes = dev.edgefit.runtime.ShapeProbe.probe(vad, in);
        Workload w = Workload.of(vad, shapes, null);
        Workload.Op ifOp = w.ops().stream().filter(o -> o.opType().equals("If")).findFirst().orElseThrow();
        assertEquals(dev.edgefit.model.ModelStats.compute(vad, shapes).macs().longValue(), ifOp.macs(), "the branch that ran");
        assertTrue(ifOp.hasMacs());
        assertTrue(ifOp.weightBytes() > 1_700_000, "both branches' float weights are stored and loaded: " + ifOp.weightBytes());
    }

    @Test
    void shapeArithmeticIsFoldedForTheMeasuredShape() {
        // y = Reshape(Relu(x), Concat(Gather(Shape(x), 0), [-1])): only Relu and Reshape run
        GraphProto.Builder g = GraphProto.newBuilder().setName("shape");
        g.addInitializer(Tensors.int64("zero", new long[] {}, new long[] {0}));
        g.addInitializer(Tensors.int64("minus_one", new long[] {1}, new long[] {-1}));
        g.addNode(NodeProto.newBuilder().setOpType("Relu").setName("relu").addInput("x").addOutput("r"));
        g.addNode(NodeProto.newBuilder().setOpType("Shape").setName("shape").addInput("x").addOutput("s"));
        g.addNode(NodeProto.newBuilder().setOpType("Gather").setName("batch").addInput("s").addInput("zero").addOutput("b"));
        g.addNode(NodeProto.newBuilder().setOpType("Unsqueeze").setName("unsq").addInput("b").addInput("zero").addOutput("b1"));
        g.addNode(NodeProto.newBuilder().setOpType("Concat").setName("target").addInput("b1").addInput("minus_one").addOutput("t")
                .addAttribute(ai.onnx.proto.OnnxMl.AttributeProto.newBuilder().setName("axis").setType(ai.onnx.proto.OnnxMl.AttributeProto.AttributeType.INT).setI(0)));
        g.addNode(NodeProto.newBuilder().setOpType("Reshape").setName("reshape").addInput("r").addInput("t").addOutput("y"));
        g.addInput(ValueInfos.of("x", DType.FLOAT, new long[] {1, 3, 4}, List.of()));
        g.addOutput(ValueInfos.of("y", DType.FLOAT, new long[] {1, 12}, List.of()));
        ModelSnapshot m = new ModelSnapshot(ModelProto.newBuilder().setIrVersion(8).addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(13))
                .setGraph(g).build(), null, "shape");
        Workload w = Workload.of(m, null);
        assertEquals(List.of("Relu", "Reshape"), w.ops().stream().map(Workload.Op::opType).toList());
        assertEquals(16, w.weightBytes(), "the two int64 constants behind the folded target shape, stored with the model");
    }

    @Test
    void staticInt8SampleComputesInInt8WithQdqAbsorbed() {
        ModelSnapshot cnn = OnnxModels.load(TestModels.sampleCnn());
        Workload f = Workload.of(cnn, null);
        assertTrue(f.ops().stream().noneMatch(o -> o.opType().equals("BatchNormalization")), "BatchNormalization after Conv is folded");
        assertTrue(cnn.graph().getNodeList().stream().anyMatch(n -> n.getOpType().equals("BatchNormalization")), "the sample has some");
        Technique t = new Int8Static();
        TechniqueContext ctx = new TechniqueContext(Progress.NONE, Datasets.open(TestModels.sampleData(),
                Preprocessing.fromJson(cnn.metadata(Preprocessing.METADATA_KEY))));
        ModelSnapshot q = t.apply(cnn, Params.defaults(t), ctx);
        Workload w = Workload.of(q, null);
        assertTrue(w.ops().stream().noneMatch(o -> o.opType().endsWith("QuantizeLinear")), "Q/DQ are fused away");
        assertEquals(f.ops().stream().filter(Workload.Op::hasMacs).count(), w.ops().stream().filter(Workload.Op::hasMacs).count());
        assertTrue(w.ops().stream().filter(Workload.Op::hasMacs).allMatch(o -> o.precision().equals("int8")), w.ops().toString());
        long fMacs = f.ops().stream().filter(Workload.Op::hasMacs).mapToLong(Workload.Op::macs).sum();
        assertEquals(1_205_536, fMacs, "the sample's MACs (edgefit inspect)");
        assertEquals(fMacs, w.ops().stream().filter(Workload.Op::hasMacs).mapToLong(Workload.Op::macs).sum());
        assertTrue(w.weightBytes() < f.weightBytes() / 3.5, w.weightBytes() + " vs " + f.weightBytes());
        assertEquals(f.peakActivationBytes(), w.peakActivationBytes() * 4, "activations at 1 byte instead of 4");
    }
}
