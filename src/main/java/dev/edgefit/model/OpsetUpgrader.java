package dev.edgefit.model;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import dev.edgefit.common.EdgeFitException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Upgrades a model in memory to a newer default-domain opset, converting the operators whose inputs, attributes or
 * meaning changed between opsets 7 and 17, so that the upgraded graph computes exactly what the original did:
 * <ul>
 * <li>Slice (10): starts/ends/axes attributes become inputs; TopK (10): k becomes input K;
 * Upsample (removed at 10) becomes Resize; Resize 10 to 11: an empty roi input, coordinate_transformation_mode
 * "asymmetric" and, for nearest, nearest_mode "floor" (upsampling; "ceil" when every scale shrinks), as ONNX Runtime
 * computes opset-10 resizing;</li>
 * <li>Clip (11): min/max attributes become inputs of the input's type; Pad (11): pads and value become inputs;
 * Scatter (deprecated at 11) becomes ScatterElements;</li>
 * <li>Dropout (12): ratio becomes an input (an unused mask output is dropped; a float mask of opset 7-9 that is read
 * is refused);</li>
 * <li>Softmax, LogSoftmax, Hardmax (13): before 13 they worked on the input flattened to 2-D at {@code axis}
 * (default 1), from 13 on one axis (default -1). Where the axis is the last one (axis -1, or a known rank) only the
 * attribute is set; otherwise Flatten + operator + Reshape to the input's shape computes the old meaning;</li>
 * <li>ReduceSum, Squeeze, Unsqueeze (13): axes become an input; Split (13): split becomes an input;</li>
 * <li>BatchNormalization (9): spatial=1 and consumed_inputs are dropped; spatial=0, is_test=0 and read training
 * outputs are refused.</li>
 * </ul>
 * Operators whose later versions only add types or optional attributes with the old default pass unchanged. Scan
 * before opset 9 (batch axis semantics) and the experimental operators removed at opset 10 are refused, naming the
 * node, as is any source older than opset 7. Subgraphs (If/Loop/Scan) are upgraded too. New constants are
 * initializers of the graph that uses them, with names not used anywhere else in the model. The default-domain opset
 * import becomes the target, and the IR version is raised to the one that opset needs.
 */
public final class OpsetUpgrader {
    /** The oldest opset EdgeFit upgrades from. */
    public static final long MIN_SOURCE = 7;
    /** The newest opset EdgeFit upgrades to (ReduceX and others change again at 18). */
    public static final long MAX_TARGET = 17;

    private static final Set<String> REMOVED_EXPERIMENTAL = Set.of("ATen", "Affine", "ConstantFill", "Crop", "DynamicSlice",
            "GRUUnit", "GivenTensorFill", "ImageScaler", "ParametricSoftplus", "Scale", "ScaledTanh");

    private final long source;
    private final long target;
    private final String label;
    private final Set<String> names = new HashSet<>();

    private OpsetUpgrader(long source, long target, String label) {
        this.source = source;
        this.target = target;
        this.label = label;
    }

    /**
     * The model at opset {@code target}; the same snapshot if it already declares that opset or a newer one.
     *
     * @throws EdgeFitException NOT_APPLICABLE naming the node that cannot be upgraded
     */
    public static ModelSnapshot upgrade(ModelSnapshot model, long target) {
        long source = model.opset();
        if (source >= target) {
            return model;
        }
        if (target > MAX_TARGET) {
            throw new EdgeFitException(EdgeFitException.Kind.NOT_APPLICABLE, model.label() + ": EdgeFit upgrades models to opset "
                    + MAX_TARGET + " at most, not " + target + ".");
        }
        if (source < MIN_SOURCE) {
            throw new EdgeFitException(EdgeFitException.Kind.NOT_APPLICABLE, model.label() + " declares opset " + source
                    + ", older than " + MIN_SOURCE + ", the oldest EdgeFit can upgrade to opset " + target + ".");
        }
        OpsetUpgrader u = new OpsetUpgrader(source, target, model.label());
        u.collectNames(model.graph());
        GraphProto g = u.graph(model.graph(), Map.of(), Map.of());
        ModelProto.Builder mb = model.proto().toBuilder().setGraph(g);
        for (int i = 0; i < mb.getOpsetImportCount(); i++) {
            OperatorSetIdProto o = mb.getOpsetImport(i);
            if (o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")) {
                mb.setOpsetImport(i, o.toBuilder().setVersion(target));
            }
        }
        mb.setIrVersion(Math.max(mb.getIrVersion(), irVersionFor(target)));
        return model.derive(mb.build(), model.label());
    }

    /** The IR version that introduced an opset (ONNX's versioning table). */
    static long irVersionFor(long opset) {
        if (opset <= 8) {
            return 3;
        }
        if (opset == 9) {
            return 4;
        }
        if (opset == 10) {
            return 5;
        }
        if (opset == 11) {
            return 6;
        }
        if (opset <= 14) {
            return 7;
        }
        return 8;
    }

    private void collectNames(GraphProto g) {
        g.getInputList().forEach(v -> names.add(v.getName()));
        g.getOutputList().forEach(v -> names.add(v.getName()));
        g.getInitializerList().forEach(t -> names.add(t.getName()));
        for (NodeProto n : g.getNodeList()) {
            names.addAll(n.getInputList());
            names.addAll(n.getOutputList());
            names.add(n.getName());
            for (AttributeProto a : n.getAttributeList()) {
                if (a.hasG()) {
                    collectNames(a.getG());
                }
                a.getGraphsList().forEach(this::collectNames);
            }
        }
    }

    private String fresh(String base) {
        String b = base.isEmpty() ? "v" : base;
        String n = b;
        int i = 1;
        while (!names.add(n)) {
            n = b + "_" + i++;
        }
        return n;
    }

    /** What one graph's conversion needs: element types and ranks known so far, consumers, new initializers. */
    private final class Scope {
        final Map<String, Integer> types;
        final Map<String, TensorProto> consts;
        final Map<String, Integer> ranks = new HashMap<>();
        final Set<String> read = new HashSet<>();
        final Set<String> outputs = new HashSet<>();
        final List<NodeProto> nodes = new ArrayList<>();
        final List<TensorProto> inits = new ArrayList<>();

        Scope(GraphProto g, Map<String, Integer> outerTypes, Map<String, TensorProto> outerConsts) {
            types = new HashMap<>(outerTypes);
            consts = new HashMap<>(outerConsts);
            g.getInitializerList().forEach(t -> consts.put(t.getName(), t));
            for (ValueInfoProto v : concat(g.getInputList(), g.getValueInfoList(), g.getOutputList())) {
                if (v.getType().hasTensorType()) {
                    var tt = v.getType().getTensorType();
                    if (tt.getElemType() != 0) {
                        types.put(v.getName(), tt.getElemType());
                    }
                    if (tt.hasShape()) {
                        ranks.put(v.getName(), tt.getShape().getDimCount());
                    }
                }
            }
            for (TensorProto t : g.getInitializerList()) {
                types.put(t.getName(), t.getDataType());
                ranks.put(t.getName(), t.getDimsCount());
            }
            g.getOutputList().forEach(v -> outputs.add(v.getName()));
            for (NodeProto n : g.getNodeList()) {
                reads(n, read);
            }
        }

        String init(String base, TensorProto t) {
            String name = fresh(base);
            inits.add(t.toBuilder().setName(name).build());
            types.put(name, t.getDataType());
            return name;
        }

        String ints(String base, long[] v) {
            return init(base, Tensors.int64(base, new long[] {v.length}, v));
        }

        /** A scalar of the element type the value {@code like} has (float if unknown). */
        String scalar(String base, String like, double v) {
            int type = types.getOrDefault(like, TensorProto.DataType.FLOAT_VALUE);
            DType d = DType.fromOnnx(type);
            byte[] bytes = switch (d) {
                case DOUBLE -> ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(v).array();
                case FLOAT16 -> ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort(Half.fromFloat((float) v)).array();
                case FLOAT -> ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat((float) v).array();
                default -> throw new IllegalArgumentException(d.label());
            };
            return init(base, Tensors.raw(base, d, new long[0], bytes));
        }

        boolean used(String value) {
            return !value.isEmpty() && (read.contains(value) || outputs.contains(value));
        }
    }

    @SafeVarargs
    private static List<ValueInfoProto> concat(List<ValueInfoProto>... lists) {
        List<ValueInfoProto> out = new ArrayList<>();
        for (List<ValueInfoProto> l : lists) {
            out.addAll(l);
        }
        return out;
    }

    /** Every value a node reads, its subgraphs' reads of outer values included. */
    private static void reads(NodeProto n, Set<String> into) {
        into.addAll(n.getInputList());
        for (AttributeProto a : n.getAttributeList()) {
            if (a.hasG()) {
                a.getG().getNodeList().forEach(s -> reads(s, into));
                a.getG().getOutputList().forEach(o -> into.add(o.getName()));
            }
            for (GraphProto sg : a.getGraphsList()) {
                sg.getNodeList().forEach(s -> reads(s, into));
                sg.getOutputList().forEach(o -> into.add(o.getName()));
            }
        }
    }

    private GraphProto graph(GraphProto g, Map<String, Integer> outerTypes, Map<String, TensorProto> outerConsts) {
        Scope s = new Scope(g, outerTypes, outerConsts);
        for (NodeProto n0 : g.getNodeList()) {
            NodeProto n = subgraphs(n0, s);
            if (n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx")) {
                convert(n, s);
            } else {
                s.nodes.add(n);
            }
            inferTypes(n, s);
        }
        return g.toBuilder().clearNode().addAllNode(s.nodes).addAllInitializer(s.inits).build();
    }

    private NodeProto subgraphs(NodeProto n, Scope s) {
        NodeProto.Builder b = null;
        for (int i = 0; i < n.getAttributeCount(); i++) {
            AttributeProto a = n.getAttribute(i);
            if (a.hasG() || a.getGraphsCount() > 0) {
                AttributeProto.Builder ab = a.toBuilder();
                if (a.hasG()) {
                    ab.setG(graph(a.getG(), s.types, s.consts));
                }
                for (int j = 0; j < a.getGraphsCount(); j++) {
                    ab.setGraphs(j, graph(a.getGraphs(j), s.types, s.consts));
                }
                b = b == null ? n.toBuilder() : b;
                b.setAttribute(i, ab);
            }
        }
        return b == null ? n : b.build();
    }

    private EdgeFitException refuse(NodeProto n, String why) {
        String name = n.getName().isEmpty() ? n.getOpType() : n.getOpType() + " node '" + n.getName() + "'";
        return new EdgeFitException(EdgeFitException.Kind.NOT_APPLICABLE, label + ": " + name + " cannot be upgraded from opset "
                + source + " to " + target + ": " + why + ".");
    }

    private boolean crosses(long version) {
        return source < version && target >= version;
    }

    private void convert(NodeProto n, Scope s) {
        String op = n.getOpType();
        if (REMOVED_EXPERIMENTAL.contains(op) && target >= 10) {
            throw refuse(n, "it is an experimental operator that ONNX removed at opset 10");
        }
        switch (op) {
            case "Scan" -> {
                if (source < 9) {
                    throw refuse(n, "Scan before opset 9 has a batch axis that later versions do not");
                }
                s.nodes.add(n);
            }
            case "BatchNormalization" -> s.nodes.add(batchNorm(n, s));
            case "Slice" -> s.nodes.add(crosses(10) ? attrsToInputs(n, s, List.of("starts", "ends", "axes"), false) : n);
            case "TopK" -> {
                if (crosses(10)) {
                    long k = Nodes.intAttr(n, "k", -1);
                    NodeProto.Builder b = without(n, "k");
                    b.addInput(s.ints(n.getName() + "_k", new long[] {k}));
                    s.nodes.add(b.build());
                } else {
                    s.nodes.add(n);
                }
            }
            case "Upsample" -> {
                if (target >= 10) {
                    upsample(n, s);
                } else {
                    s.nodes.add(n);
                }
            }
            case "Resize" -> s.nodes.add(crosses(11) ? resize10(n, s, n.getInputCount() > 1 ? n.getInput(1) : "", false) : n);
            case "Clip" -> {
                if (crosses(11)) {
                    NodeProto.Builder b = without(n, "min", "max");
                    String x = n.getInput(0);
                    boolean hasMax = Nodes.hasAttr(n, "max");
                    if (Nodes.hasAttr(n, "min")) {
                        b.addInput(s.scalar(n.getName() + "_min", x, Nodes.floatAttr(n, "min", 0)));
                    } else if (hasMax) {
                        b.addInput("");
                    }
                    if (hasMax) {
                        b.addInput(s.scalar(n.getName() + "_max", x, Nodes.floatAttr(n, "max", 0)));
                    }
                    s.nodes.add(b.build());
                } else {
                    s.nodes.add(n);
                }
            }
            case "Pad" -> {
                if (crosses(11)) {
                    NodeProto.Builder b = without(n, "pads", "value");
                    b.addInput(s.ints(n.getName() + "_pads", Nodes.intsAttr(n, "pads")));
                    float v = Nodes.floatAttr(n, "value", 0f);
                    if (v != 0f) {
                        b.addInput(s.scalar(n.getName() + "_value", n.getInput(0), v));
                    }
                    s.nodes.add(b.build());
                } else {
                    s.nodes.add(n);
                }
            }
            case "Scatter" -> s.nodes.add(target >= 11 ? n.toBuilder().setOpType("ScatterElements").build() : n);
            case "Dropout" -> s.nodes.add(dropout(n, s));
            case "Softmax", "LogSoftmax", "Hardmax" -> {
                if (crosses(13)) {
                    softmax(n, s);
                } else {
                    s.nodes.add(n);
                }
            }
            case "ReduceSum", "Squeeze", "Unsqueeze" -> s.nodes.add(crosses(13) ? attrsToInputs(n, s, List.of("axes"), true) : n);
            case "Split" -> s.nodes.add(crosses(13) ? attrsToInputs(n, s, List.of("split"), true) : n);
            default -> s.nodes.add(n);
        }
    }

    /** The node with the named attributes removed. */
    private static NodeProto.Builder without(NodeProto n, String... attrs) {
        Set<String> drop = Set.of(attrs);
        NodeProto.Builder b = n.toBuilder().clearAttribute();
        n.getAttributeList().stream().filter(a -> !drop.contains(a.getName())).forEach(b::addAttribute);
        return b;
    }

    /**
     * INTS attributes become int64 inputs in the given order, after the node's inputs; an absent attribute gives an
     * empty (omitted) input, trailing omitted inputs are left out. {@code optional}: the first attribute may be
     * absent as a whole (Squeeze, ReduceSum, Split without it keep their meaning).
     */
    private NodeProto attrsToInputs(NodeProto n, Scope s, List<String> attrs, boolean optional) {
        NodeProto.Builder b = without(n, attrs.toArray(String[]::new));
        List<String> added = new ArrayList<>();
        for (String a : attrs) {
            if (Nodes.hasAttr(n, a)) {
                added.add(s.ints(n.getName() + "_" + a, Nodes.intsAttr(n, a)));
            } else if (!optional && added.size() < 2) {
                throw refuse(n, "its required attribute '" + a + "' is missing");
            } else {
                added.add("");
            }
        }
        while (!added.isEmpty() && added.get(added.size() - 1).isEmpty()) {
            added.remove(added.size() - 1);
        }
        b.addAllInput(added);
        return b.build();
    }

    private NodeProto batchNorm(NodeProto n, Scope s) {
        if (Nodes.hasAttr(n, "is_test") && Nodes.intAttr(n, "is_test", 0) == 0) {
            throw refuse(n, "it is in training mode (is_test=0)");
        }
        if (crosses(9) && Nodes.intAttr(n, "spatial", 1) == 0) {
            throw refuse(n, "spatial=0 (statistics per element) has no equivalent after opset 8");
        }
        for (int i = 1; i < n.getOutputCount(); i++) {
            if (s.used(n.getOutput(i))) {
                throw refuse(n, "its training outputs (running mean and variance) are read");
            }
        }
        NodeProto.Builder b = crosses(9) ? without(n, "spatial", "is_test", "consumed_inputs") : without(n, "is_test", "consumed_inputs");
        b.clearOutput().addOutput(n.getOutput(0));
        return b.build();
    }

    private NodeProto dropout(NodeProto n, Scope s) {
        NodeProto.Builder b = n.toBuilder();
        if (n.getOutputCount() > 1 && !n.getOutput(1).isEmpty()) {
            if (!s.used(n.getOutput(1))) {
                b.clearOutput().addOutput(n.getOutput(0));
            } else if (crosses(10)) {
                throw refuse(n, "its mask output, float before opset 10 and bool after, is read");
            }
        }
        if (crosses(12) && Nodes.hasAttr(n, "ratio")) {
            NodeProto dropped = b.build();
            b = without(dropped, "ratio");
            b.addInput(s.scalar(n.getName() + "_ratio", "", Nodes.floatAttr(n, "ratio", 0.5f)));
        }
        return b.build();
    }

    private void upsample(NodeProto n, Scope s) {
        String scales;
        if (n.getInputCount() > 1) {
            scales = n.getInput(1);
        } else {
            float[] f = floatsAttr(n, "scales");
            if (f.length == 0) {
                throw refuse(n, "it has no scales");
            }
            scales = s.init(n.getName() + "_scales", Tensors.floats(n.getName() + "_scales", new long[] {f.length}, f));
        }
        String mode = strAttr(n, "mode", "nearest");
        NodeProto.Builder b = without(n, "scales", "mode").setOpType("Resize").clearInput().addInput(n.getInput(0)).addInput(scales)
                .addAttribute(AttributeProto.newBuilder().setName("mode").setType(AttributeProto.AttributeType.STRING)
                        .setS(com.google.protobuf.ByteString.copyFromUtf8(mode.equals("bilinear") ? "linear" : mode)));
        NodeProto resize10 = b.build();
        s.nodes.add(target >= 11 ? resize10(resize10, s, scales, true) : resize10);
    }

    /**
     * Resize-10 (X, scales) as Resize-11: empty roi, asymmetric coordinates, and opset 10's nearest rounding.
     * {@code enlarging}: the node was an Upsample, whose scales are at least 1 by definition.
     */
    private NodeProto resize10(NodeProto n, Scope s, String scales, boolean enlarging) {
        String mode = strAttr(n, "mode", "nearest");
        NodeProto.Builder b = n.toBuilder().clearInput().addInput(n.getInput(0))
                .addInput(s.init(n.getName() + "_roi", Tensors.floats(n.getName() + "_roi", new long[] {0}, new float[0])))
                .addInput(scales)
                .addAttribute(strAttribute("coordinate_transformation_mode", "asymmetric"));
        if (mode.equals("nearest")) {
            TensorProto t = constant(scales, s);
            float[] f = t == null ? null : Tensors.toFloats(t);
            boolean up = enlarging || (f != null && allAtLeast(f, 1f));
            boolean down = !enlarging && f != null && allAtMost(f, 1f);
            if (!up && !down) {
                throw refuse(n, "opset 10 rounds nearest positions down when enlarging and up when shrinking, and its scales"
                        + (f == null ? " are computed at run time" : " do both"));
            }
            b.addAttribute(strAttribute("nearest_mode", up ? "floor" : "ceil"));
        }
        return b.build();
    }

    private static boolean allAtLeast(float[] f, float v) {
        for (float x : f) {
            if (x < v) {
                return false;
            }
        }
        return true;
    }

    private static boolean allAtMost(float[] f, float v) {
        for (float x : f) {
            if (x > v) {
                return false;
            }
        }
        return true;
    }

    /** A constant value: an initializer of this graph or an outer one, or one added here. */
    private static TensorProto constant(String name, Scope s) {
        for (TensorProto t : s.inits) {
            if (t.getName().equals(name)) {
                return t;
            }
        }
        return s.consts.get(name);
    }

    private void softmax(NodeProto n, Scope s) {
        long axis = Nodes.intAttr(n, "axis", 1);
        Integer rank = s.ranks.get(n.getInput(0));
        if (rank == null) {
            rank = s.ranks.get(n.getOutput(0));
        }
        boolean last = axis == -1 || (rank != null && (axis < 0 ? axis + rank : axis) == rank - 1);
        if (last) {
            s.nodes.add(without(n, "axis").addAttribute(intAttribute("axis", -1)).build());
            return;
        }
        String x = n.getInput(0);
        String base = n.getName().isEmpty() ? n.getOpType() : n.getName();
        String shape = fresh(base + "_shape");
        String flat = fresh(base + "_2d");
        String y2 = fresh(base + "_out2d");
        s.nodes.add(NodeProto.newBuilder().setOpType("Shape").setName(fresh(base + "_shape")).addInput(x).addOutput(shape).build());
        s.nodes.add(NodeProto.newBuilder().setOpType("Flatten").setName(fresh(base + "_flatten")).addInput(x).addOutput(flat)
                .addAttribute(intAttribute("axis", axis)).build());
        s.nodes.add(without(n, "axis").clearInput().addInput(flat).clearOutput().addOutput(y2)
                .addAttribute(intAttribute("axis", -1)).build());
        s.nodes.add(NodeProto.newBuilder().setOpType("Reshape").setName(fresh(base + "_reshape")).addInput(y2).addInput(shape)
                .addOutput(n.getOutput(0)).build());
    }

    /** Element types of node outputs, as far as this needs them (the type of Clip's and Pad's input). */
    private static void inferTypes(NodeProto n, Scope s) {
        if (n.getOutputCount() == 0 || n.getOutput(0).isEmpty() || s.types.containsKey(n.getOutput(0))) {
            return;
        }
        Integer t = switch (n.getOpType()) {
            case "Cast" -> (int) Nodes.intAttr(n, "to", TensorProto.DataType.FLOAT_VALUE);
            case "Shape", "Size", "ArgMax", "ArgMin", "NonZero", "NonMaxSuppression" -> TensorProto.DataType.INT64_VALUE;
            case "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "Not", "And", "Or", "Xor", "IsNaN", "IsInf" ->
                    TensorProto.DataType.BOOL_VALUE;
            case "Constant" -> n.getAttributeCount() > 0 && n.getAttribute(0).hasT() ? n.getAttribute(0).getT().getDataType() : null;
            case "ConstantOfShape" -> n.getAttributeCount() > 0 && n.getAttribute(0).hasT() ? n.getAttribute(0).getT().getDataType()
                    : TensorProto.DataType.FLOAT_VALUE;
            case "Where" -> n.getInputCount() > 1 ? s.types.get(n.getInput(1)) : null;
            default -> n.getInputCount() > 0 ? s.types.get(n.getInput(0)) : null;
        };
        if (t != null) {
            s.types.put(n.getOutput(0), t);
        }
    }

    private static float[] floatsAttr(NodeProto n, String name) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals(name)) {
                float[] f = new float[a.getFloatsCount()];
                for (int i = 0; i < f.length; i++) {
                    f[i] = a.getFloats(i);
                }
                return f;
            }
        }
        return new float[0];
    }

    private static String strAttr(NodeProto n, String name, String def) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a.getS().toStringUtf8();
            }
        }
        return def;
    }

    private static AttributeProto strAttribute(String name, String v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
                .setS(com.google.protobuf.ByteString.copyFromUtf8(v)).build();
    }

    private static AttributeProto intAttribute(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
    }
}
