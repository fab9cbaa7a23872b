package dev.edgefit.model;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import dev.edgefit.ModelCorpus;
import dev.edgefit.common.EdgeFitException;
import dev.edgefit.data.InputGenerator;
import dev.edgefit.runtime.OrtRunner;
import dev.edgefit.runtime.RunnerOptions;
import dev.edgefit.runtime.Tensor;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class OpsetUpgraderTest {

    // ---- published models below opset 13 (Paddle OCR at 9 and 11, tf2onnx at 11 and 12), upgraded to 13 ----

    @Test
    void ocrModelsUpgradedTo13ComputeTheSameOutputs() {
        assertUpgradeKeepsOutputs(ModelCorpus.OCR_CLS.path(), Map.of("x", new long[] {1, 3, 48, 192}), 9);
        assertUpgradeKeepsOutputs(ModelCorpus.OCR_REC.path(), Map.of("x", new long[] {1, 3, 48, 160}), 9);
        assertUpgradeKeepsOutputs(ModelCorpus.OCR_DET.path(), Map.of("x", new long[] {1, 3, 64, 96}), 11);
        // tf2onnx conversions at opsets 11 and 12
        assertUpgradeKeepsOutputs(ModelCorpus.MLSD.path(), Map.of(), 11);
        assertUpgradeKeepsOutputs(ModelCorpus.BLAZEFACE.path(), Map.of(), 12);
    }

    private static void assertUpgradeKeepsOutputs(Path file, Map<String, long[]> shapes, long opset) {
        ModelSnapshot m = OnnxModels.load(file);
        assertEquals(opset, m.opset());
        ModelSnapshot u = OpsetUpgrader.upgrade(m, 13);
        assertEquals(13, u.opset());
        assertTrue(u.proto().getIrVersion() >= 7);
        assertSame(u, OpsetUpgrader.upgrade(u, 13), "already at the target: unchanged");
        Map<String, Tensor> in = new InputGenerator(m, shapes).generate(2);
        assertClose(run(m, in), run(u, in), file.getFileName().toString());
    }

    private static Map<String, Tensor> run(ModelSnapshot m, Map<String, Tensor> in) {
        try (OrtRunner r = OrtRunner.inMemory(m, RunnerOptions.DEFAULT)) {
            return r.run(in);
        }
    }

    /** Max abs difference at most 1e-5 of the output's largest magnitude (and the same shapes). */
    private static void assertClose(Map<String, Tensor> a, Map<String, Tensor> b, String what) {
        assertEquals(a.keySet(), b.keySet(), what);
        for (String k : a.keySet()) {
            assertArrayEquals(a.get(k).shape(), b.get(k).shape(), what + " " + k);
            float[] x = a.get(k).floats();
            float[] y = b.get(k).floats();
            double scale = 0;
            for (float v : x) {
                scale = Math.max(scale, Math.abs(v));
            }
            for (int i = 0; i < x.length; i++) {
                assertEquals(x[i], y[i], 1e-5 * Math.max(scale, 1e-6), what + " " + k + "[" + i + "]");
            }
        }
    }

    // ---- one small graph per converted operator, run in ONNX Runtime before and after ----

    private static final Random RND = new Random(5);

    private static AttributeProto ints(String name, long... v) {
        AttributeProto.Builder b = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long x : v) {
            b.addInts(x);
        }
        return b.build();
    }

    private static AttributeProto i(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
    }

    private static AttributeProto f(String name, float v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(v).build();
    }

    private static AttributeProto floats(String name, float... v) {
        AttributeProto.Builder b = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOATS);
        for (float x : v) {
            b.addFloats(x);
        }
        return b.build();
    }

    private static AttributeProto s(String name, String v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING).setS(ByteString.copyFromUtf8(v)).build();
    }

    /** One node over float input x of the given shape; outputs named in {@code outs} (types left to the runtime). */
    private static ModelSnapshot single(long opset, String op, long[] xShape, List<String> extraInputs, List<TensorProto> inits,
                                        List<String> outs, AttributeProto... attrs) {
        GraphProto.Builder g = GraphProto.newBuilder().setName("g");
        NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(op.toLowerCase() + "_node").addInput("x");
        n.addAllInput(extraInputs).addAllOutput(outs);
        for (AttributeProto a : attrs) {
            n.addAttribute(a);
        }
        g.addNode(n);
        g.addAllInitializer(inits);
        g.addInput(ValueInfos.of("x", DType.FLOAT, xShape, List.of()));
        for (String o : outs) {
            g.addOutput(ai.onnx.proto.OnnxMl.ValueInfoProto.newBuilder().setName(o));
        }
        ModelProto p = ModelProto.newBuilder().setIrVersion(opset >= 9 ? 4 : 3).setGraph(g)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(opset)).build();
        return new ModelSnapshot(p, null, op + "-" + opset);
    }

    private static ModelSnapshot single(long opset, String op, long[] xShape, AttributeProto... attrs) {
        return single(opset, op, xShape, List.of(), List.of(), List.of("y"), attrs);
    }

    /** Runs the graph at its opset and upgraded to 13; returns the upgraded graph. */
    private static ModelSnapshot assertSameAfterUpgrade(ModelSnapshot m, long[] xShape) {
        int n = 1;
        for (long d : xShape) {
            n *= (int) d;
        }
        float[] x = new float[n];
        for (int k = 0; k < n; k++) {
            x[k] = (float) RND.nextGaussian();
        }
        Map<String, Tensor> in = Map.of("x", Tensor.of(x, xShape));
        ModelSnapshot u = OpsetUpgrader.upgrade(m, 13);
        assertEquals(13, u.opset());
        Map<String, Tensor> before = run(m, in);
        Map<String, Tensor> after = run(u, in);
        for (String k : before.keySet()) {
            assertArrayEquals(before.get(k).shape(), after.get(k).shape(), m.label() + " " + k);
            assertArrayEquals(before.get(k).floats(), after.get(k).floats(), 1e-6f, m.label() + " " + k);
        }
        return u;
    }

    private static List<String> ops(ModelSnapshot m) {
        return m.graph().getNodeList().stream().map(NodeProto::getOpType).toList();
    }

    @Test
    void softmaxFamilyKeepsItsPreOpset13Meaning() {
        long[] shape = {2, 3, 4};
        // axis 1 of a rank-3 input: before 13 the softmax runs over 3 x 4 = 12 values at once
        ModelSnapshot u = assertSameAfterUpgrade(single(11, "Softmax", shape, i("axis", 1)), shape);
        assertEquals(List.of("Shape", "Flatten", "Softmax", "Reshape"), ops(u));
        // the default axis (1) on rank 3, and LogSoftmax / Hardmax likewise
        assertSameAfterUpgrade(single(9, "LogSoftmax", shape), shape);
        assertSameAfterUpgrade(single(11, "Hardmax", shape, i("axis", 0)), shape);
        // the last axis: only the attribute changes
        ModelSnapshot last = assertSameAfterUpgrade(single(11, "Softmax", shape, i("axis", 2)), shape);
        assertEquals(List.of("Softmax"), ops(last));
        assertEquals(-1, Nodes.intAttr(last.graph().getNode(0), "axis", 0));
        // rank 2 with the default axis 1, as the OCR classifier ends
        assertEquals(List.of("Softmax"), ops(assertSameAfterUpgrade(single(9, "Softmax", new long[] {3, 5}), new long[] {3, 5})));
    }

    @Test
    void attributesThatBecameInputsAreConverted() {
        long[] shape = {2, 3, 4, 5};
        assertSameAfterUpgrade(single(9, "Clip", shape, f("min", -0.5f), f("max", 0.7f)), shape);
        assertSameAfterUpgrade(single(9, "Clip", shape, f("max", 0.2f)), shape);
        assertSameAfterUpgrade(single(11, "Squeeze", new long[] {2, 1, 4}, ints("axes", 1)), new long[] {2, 1, 4});
        assertSameAfterUpgrade(single(11, "Unsqueeze", shape, ints("axes", 0, 3)), shape);
        assertSameAfterUpgrade(single(11, "ReduceSum", shape, ints("axes", 1, 3), i("keepdims", 0)), shape);
        assertSameAfterUpgrade(single(11, "Split", shape, List.of(), List.of(), List.of("a", "b"), i("axis", 1), ints("split", 1, 2)), shape);
        ModelSnapshot pad = assertSameAfterUpgrade(single(9, "Pad", shape, ints("pads", 0, 0, 1, 2, 0, 0, 2, 1), f("value", 1.5f)), shape);
        assertEquals(3, pad.graph().getNode(0).getInputCount(), "pads and value are inputs");
        assertSameAfterUpgrade(single(9, "Pad", shape, ints("pads", 0, 0, 1, 2, 0, 0, 2, 1), s("mode", "reflect")), shape);
        assertSameAfterUpgrade(single(9, "Slice", shape, ints("starts", 1, 0), ints("ends", 3, -1), ints("axes", 2, 3)), shape);
        assertSameAfterUpgrade(single(9, "Slice", shape, ints("starts", 0, 1), ints("ends", 1, 1000)), shape);
        assertSameAfterUpgrade(single(9, "TopK", shape, List.of(), List.of(), List.of("values", "indices"), i("axis", 3), i("k", 2)), shape);
        assertSameAfterUpgrade(single(9, "Dropout", shape, f("ratio", 0.3f)), shape);
        // a mask output nobody reads is dropped
        ModelSnapshot withMask = single(9, "Dropout", shape, List.of(), List.of(), List.of("y", "mask"), f("ratio", 0.3f));
        ModelSnapshot unreadMask = withMask.derive(withMask.proto().toBuilder().setGraph(withMask.graph().toBuilder().removeOutput(1))
                .build(), "dropout-unread-mask");
        assertEquals(1, assertSameAfterUpgrade(unreadMask, shape).graph().getNode(0).getOutputCount());
    }

    @Test
    void upsampleAndOpset10ResizeBecomeOpset13Resize() {
        long[] shape = {1, 2, 3, 4};
        TensorProto scales = Tensors.floats("scales", new long[] {4}, new float[] {1, 1, 2, 3});
        for (String mode : List.of("nearest", "linear")) {
            ModelSnapshot up9 = single(9, "Upsample", shape, List.of("scales"), List.of(scales), List.of("y"), s("mode", mode));
            assertEquals(List.of("Resize"), ops(assertSameAfterUpgrade(up9, shape)));
            assertSameAfterUpgrade(single(7, "Upsample", shape, floats("scales", 1, 1, 2, 2), s("mode", mode)), shape);
            assertSameAfterUpgrade(single(10, "Resize", shape, List.of("scales"), List.of(scales), List.of("y"), s("mode", mode)), shape);
        }
        // opset 10 shrinking with nearest rounds up
        TensorProto down = Tensors.floats("scales", new long[] {4}, new float[] {1, 1, 0.6f, 0.5f});
        assertSameAfterUpgrade(single(10, "Resize", new long[] {1, 2, 5, 8}, List.of("scales"), List.of(down), List.of("y")), new long[] {1, 2, 5, 8});
    }

    @Test
    void batchNormalizationSpatialIsDroppedAndWhatCannotBeUpgradedIsNamed() {
        long[] shape = {1, 3, 4, 4};
        List<TensorProto> p = new ArrayList<>();
        for (String n : List.of("g", "b", "m", "v")) {
            p.add(Tensors.floats(n, new long[] {3}, new float[] {0.5f, 1f, 2f}));
        }
        List<String> pin = List.of("g", "b", "m", "v");
        ModelSnapshot bn = single(7, "BatchNormalization", shape, pin, p, List.of("y"), i("spatial", 1), f("epsilon", 1e-3f));
        ModelSnapshot u = assertSameAfterUpgrade(bn, shape);
        assertFalse(Nodes.hasAttr(u.graph().getNode(0), "spatial"));

        EdgeFitException e = assertThrows(EdgeFitException.class, () -> OpsetUpgrader.upgrade(
                single(7, "BatchNormalization", shape, pin, p, List.of("y"), i("spatial", 0)), 13));
        assertEquals(EdgeFitException.Kind.NOT_APPLICABLE, e.kind());
        assertTrue(e.getMessage().contains("batchnormalization_node") && e.getMessage().contains("spatial=0"), e.getMessage());

        EdgeFitException e2 = assertThrows(EdgeFitException.class, () -> OpsetUpgrader.upgrade(
                single(8, "ImageScaler", shape, floats("bias", 1, 2, 3), f("scale", 2f)), 13));
        assertTrue(e2.getMessage().contains("ImageScaler") && e2.getMessage().contains("removed at opset 10"), e2.getMessage());
        assertFalse(e2.getMessage().contains("\n"));

        EdgeFitException e3 = assertThrows(EdgeFitException.class, () -> OpsetUpgrader.upgrade(single(6, "Relu", shape), 13));
        assertTrue(e3.getMessage().contains("opset 6"), e3.getMessage());
    }
}
