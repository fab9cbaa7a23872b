package dev.edgefit.model;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Brings published graphs into the one form the rest of EdgeFit reads: weights as initializers. Exporters such as
 * Paddle2ONNX store every weight as a {@code Constant} node, and PyTorch puts whole models inside {@code If} branches
 * (Silero VAD), so a reader that looks only at the main graph's initializers finds no weights at all.
 *
 * <p>Every {@code Constant} node holding a tensor ({@code value}, {@code value_float(s)}, {@code value_int(s)},
 * {@code value_string(s)}) becomes an initializer of the graph it sits in, named as the node's output, recursively
 * in the subgraphs of {@code If}, {@code Loop} and {@code Scan} (ONNX allows initializers in subgraphs). The value
 * names do not change, so every consumer (also one inside a subgraph reading an outer value) sees the same value,
 * and the other nodes keep their order. A Constant is kept as a node when its output is also an output of its graph
 * (a graph output must be produced by a node or be a graph input), when it holds a sparse tensor, external data or
 * a function's attribute reference, or when its output name is already an initializer's. For IR versions below 4,
 * where ONNX requires every initializer of the main graph to be a graph input as well, the new main-graph
 * initializers are also declared as inputs, and subgraphs are left as they are.
 *
 * <p>A model without such Constants comes back as the very same object, so it saves to the same bytes.
 */
public final class GraphNormalizer {
    private GraphNormalizer() {
    }

    public static ModelProto normalize(ModelProto model) {
        if (!model.hasGraph()) {
            return model;
        }
        boolean oldIr = model.getIrVersion() > 0 && model.getIrVersion() < 4;
        GraphProto g = graph(model.getGraph(), true, oldIr);
        return g == model.getGraph() ? model : model.toBuilder().setGraph(g).build();
    }

    /** The graph with its Constants turned into initializers; the same object when nothing changed. */
    private static GraphProto graph(GraphProto g, boolean main, boolean oldIr) {
        if (!main && oldIr) {
            return g;
        }
        Set<String> outputs = new HashSet<>();
        g.getOutputList().forEach(o -> outputs.add(o.getName()));
        Set<String> inits = new HashSet<>();
        g.getInitializerList().forEach(t -> inits.add(t.getName()));
        List<NodeProto> nodes = new ArrayList<>(g.getNodeCount());
        List<TensorProto> added = new ArrayList<>();
        boolean changed = false;
        for (NodeProto n : g.getNodeList()) {
            if (isDefaultDomain(n) && n.getOpType().equals("Constant")) {
                TensorProto t = n.getOutputCount() == 1 && !n.getOutput(0).isEmpty() && !outputs.contains(n.getOutput(0))
                        && !inits.contains(n.getOutput(0)) ? tensor(n) : null;
                if (t != null) {
                    added.add(t);
                    inits.add(t.getName());
                    changed = true;
                    continue;
                }
            }
            NodeProto sub = subgraphs(n, oldIr);
            changed |= sub != n;
            nodes.add(sub);
        }
        if (!changed) {
            return g;
        }
        GraphProto.Builder b = g.toBuilder().clearNode().addAllNode(nodes).addAllInitializer(added);
        if (main && oldIr) {
            for (TensorProto t : added) {
                b.addInput(ValueInfoProto.newBuilder().setName(t.getName()).setType(TypeProto.newBuilder()
                        .setTensorType(typeOf(t))));
            }
        }
        return b.build();
    }

    private static TypeProto.Tensor typeOf(TensorProto t) {
        var shape = ai.onnx.proto.OnnxMl.TensorShapeProto.newBuilder();
        for (long d : t.getDimsList()) {
            shape.addDim(ai.onnx.proto.OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return TypeProto.Tensor.newBuilder().setElemType(t.getDataType()).setShape(shape).build();
    }

    private static NodeProto subgraphs(NodeProto n, boolean oldIr) {
        NodeProto.Builder b = null;
        for (int i = 0; i < n.getAttributeCount(); i++) {
            AttributeProto a = n.getAttribute(i);
            AttributeProto na = a;
            if (a.hasG()) {
                GraphProto sg = graph(a.getG(), false, oldIr);
                if (sg != a.getG()) {
                    na = a.toBuilder().setG(sg).build();
                }
            }
            if (a.getGraphsCount() > 0) {
                AttributeProto.Builder ab = null;
                for (int j = 0; j < a.getGraphsCount(); j++) {
                    GraphProto sg = graph(a.getGraphs(j), false, oldIr);
                    if (sg != a.getGraphs(j)) {
                        ab = ab == null ? na.toBuilder() : ab;
                        ab.setGraphs(j, sg);
                    }
                }
                if (ab != null) {
                    na = ab.build();
                }
            }
            if (na != a) {
                b = b == null ? n.toBuilder() : b;
                b.setAttribute(i, na);
            }
        }
        return b == null ? n : b.build();
    }

    private static boolean isDefaultDomain(NodeProto n) {
        return n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx");
    }

    /** The Constant's value as a tensor named as its output, or null if it is kept as a node. */
    static TensorProto tensor(NodeProto n) {
        if (n.getAttributeCount() != 1) {
            return null;
        }
        AttributeProto a = n.getAttribute(0);
        if (!a.getRefAttrName().isEmpty()) {
            return null;
        }
        String name = n.getOutput(0);
        TensorProto.Builder t = TensorProto.newBuilder().setName(name);
        switch (a.getName()) {
            case "value" -> {
                if (!a.hasT() || a.getT().getDataLocation() == TensorProto.DataLocation.EXTERNAL
                        || a.getT().getExternalDataCount() > 0 || a.getT().hasSegment()) {
                    return null;
                }
                return a.getT().toBuilder().setName(name).build();
            }
            case "value_float" -> t.setDataType(TensorProto.DataType.FLOAT_VALUE).addFloatData(a.getF());
            case "value_floats" -> t.setDataType(TensorProto.DataType.FLOAT_VALUE).addDims(a.getFloatsCount())
                    .addAllFloatData(a.getFloatsList());
            case "value_int" -> t.setDataType(TensorProto.DataType.INT64_VALUE).addInt64Data(a.getI());
            case "value_ints" -> t.setDataType(TensorProto.DataType.INT64_VALUE).addDims(a.getIntsCount())
                    .addAllInt64Data(a.getIntsList());
            case "value_string" -> t.setDataType(TensorProto.DataType.STRING_VALUE).addStringData(a.getS());
            case "value_strings" -> t.setDataType(TensorProto.DataType.STRING_VALUE).addDims(a.getStringsCount())
                    .addAllStringData(a.getStringsList());
            default -> {
                return null;
            }
        }
        return t.build();
    }
}
