package dev.edgefit.model;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Parameters, MACs, weight bytes and operator counts, per layer and in total. Parameters are the
 * elements of floating-point initializers and float Constant tensors; quantized tensors count in weight
 * bytes and in {@code quantizedElements}. A tensor used by several nodes counts once, for its first user.
 *
 * <p>Subgraphs ({@code If} branches, {@code Loop} and {@code Scan} bodies) count with the node that holds them:
 * the weights their nodes read (their own initializers and outer values alike) count in that node's parameters and
 * weight bytes, every branch of an {@code If} included, since all of them are stored in the file.
 *
 * <p>MACs need concrete shapes, measured by running the graph once (see runtime.ShapeProbe, which also measures the
 * values inside the {@code If} branch that runs for the given inputs). An {@code If} counts the MACs of the branch
 * whose values were measured (the branch that ran); if neither was, the larger of the two when both can be counted
 * without shapes. A {@code Loop} or {@code Scan} counts its body's MACs only when the body has none (its iteration
 * count is not known here). A layer whose MACs cannot be counted has null MACs, and then the total is null ("not
 * measured", never 0), as it is when no shapes were measured at all.
 */
public record ModelStats(long parameters, long quantizedElements, long weightBytes, Long macs, boolean macsComplete,
                         Map<String, Integer> opHistogram, List<Layer> layers) {

    /** One node of the graph. */
    public record Layer(String name, String opType, long parameters, long weightBytes, Long macs, long[] outputShape) {
    }

    public static ModelStats compute(ModelSnapshot model, Map<String, long[]> shapes) {
        Map<String, TensorProto> inits = model.initializers();
        Set<TensorProto> counted = Collections.newSetFromMap(new IdentityHashMap<>());
        List<Layer> layers = new ArrayList<>();
        Map<String, Integer> hist = new TreeMap<>();
        long params = 0;
        long quantized = 0;
        long weightBytes = 0;
        long macs = 0;
        boolean complete = !shapes.isEmpty() || model.graph().getNodeCount() == 0;
        int index = 0;
        for (NodeProto n : model.graph().getNodeList()) {
            index++;
            hist.merge(n.getOpType(), 1, Integer::sum);
            Weights w = new Weights(counted);
            w.add(n, inits);
            Long m = macs(n, shapes, inits);
            if (m == null) {
                complete = false;
            } else {
                macs += m;
            }
            params += w.params;
            quantized += w.quantized;
            weightBytes += w.bytes;
            String name = n.getName().isEmpty() ? n.getOpType() + "_" + index : n.getName();
            long[] outShape = n.getOutputCount() > 0 ? shapes.get(n.getOutput(0)) : null;
            layers.add(new Layer(name, n.getOpType(), w.params, w.bytes, m, outShape));
        }
        return new ModelStats(params, quantized, weightBytes, complete ? macs : null, complete, new LinkedHashMap<>(hist),
                List.copyOf(layers));
    }

    /** The weights one node reads, its subgraphs' included; each tensor counts once over the whole model. */
    private static final class Weights {
        final Set<TensorProto> counted;
        long params;
        long quantized;
        long bytes;

        Weights(Set<TensorProto> counted) {
            this.counted = counted;
        }

        void add(NodeProto n, Map<String, TensorProto> scope) {
            for (String in : n.getInputList()) {
                TensorProto t = scope.get(in);
                if (t != null) {
                    tensor(t);
                }
            }
            if (n.getOpType().equals("Constant")) {
                for (AttributeProto a : n.getAttributeList()) {
                    if (a.hasT()) {
                        tensor(a.getT());
                    }
                }
            }
            for (GraphProto g : subgraphs(n)) {
                Map<String, TensorProto> inner = scope(scope, g);
                for (TensorProto t : g.getInitializerList()) {
                    inner.put(t.getName(), t);
                }
                for (NodeProto sub : g.getNodeList()) {
                    add(sub, inner);
                }
            }
        }

        private void tensor(TensorProto t) {
            if (!counted.add(t)) {
                return;
            }
            bytes += Tensors.storedBytes(t);
            if (Tensors.dtype(t).isFloatingPoint()) {
                params += Tensors.elementCount(t);
            } else if (isQuantizedWeight(t)) {
                quantized += Tensors.elementCount(t);
            }
        }
    }

    /** The graphs a node holds as attributes (If branches, Loop/Scan bodies). */
    static List<GraphProto> subgraphs(NodeProto n) {
        List<GraphProto> out = new ArrayList<>();
        for (AttributeProto a : n.getAttributeList()) {
            if (a.hasG()) {
                out.add(a.getG());
            }
            out.addAll(a.getGraphsList());
        }
        return out;
    }

    /** The initializers visible inside a subgraph: the outer ones, shadowed by the subgraph's own. */
    private static Map<String, TensorProto> scope(Map<String, TensorProto> outer, GraphProto g) {
        Map<String, TensorProto> m = new HashMap<>(outer);
        for (TensorProto t : g.getInitializerList()) {
            m.put(t.getName(), t);
        }
        return m;
    }

    private static GraphProto attrGraph(NodeProto n, String name) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals(name) && a.hasG()) {
                return a.getG();
            }
        }
        return null;
    }

    /** MACs of the nodes of a subgraph, or null if one of them cannot be counted. */
    private static Long graphMacs(GraphProto g, Map<String, long[]> shapes, Map<String, TensorProto> outer) {
        Map<String, TensorProto> inner = scope(outer, g);
        long sum = 0;
        for (NodeProto n : g.getNodeList()) {
            Long m = macs(n, shapes, inner);
            if (m == null) {
                return null;
            }
            sum += m;
        }
        return sum;
    }

    /** Whether the values of a branch were measured, i.e. the branch ran when the shapes were probed. */
    private static boolean ran(GraphProto g, Map<String, long[]> shapes) {
        for (NodeProto n : g.getNodeList()) {
            for (String o : n.getOutputList()) {
                if (!o.isEmpty() && shapes.containsKey(o)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean isQuantizedWeight(TensorProto t) {
        DType d = Tensors.dtype(t);
        return (d == DType.INT8 || d == DType.UINT8 || d == DType.INT4 || d == DType.UINT4) && Tensors.elementCount(t) > 1;
    }

    /** Multiply-accumulates of one node for the given shapes; 0 for ops without MACs; null if shapes are missing. */
    public static Long macs(NodeProto n, Map<String, long[]> shapes, Map<String, TensorProto> inits) {
        String op = n.getOpType();
        switch (op) {
            case "If" -> {
                GraphProto then = attrGraph(n, "then_branch");
                GraphProto other = attrGraph(n, "else_branch");
                if (then == null || other == null) {
                    return null;
                }
                if (ran(then, shapes) != ran(other, shapes)) {
                    return graphMacs(ran(then, shapes) ? then : other, shapes, inits);
                }
                Long a = graphMacs(then, shapes, inits);
                Long b = graphMacs(other, shapes, inits);
                return a == null || b == null ? null : Math.max(a, b);
            }
            case "Loop", "Scan" -> {
                GraphProto body = attrGraph(n, "body");
                Long m = body == null ? null : graphMacs(body, shapes, inits);
                return m != null && m == 0 ? 0L : null;
            }
            case "LSTM", "GRU", "RNN" -> {
                // per step and direction: gates x hidden x (input + hidden) multiply-accumulates (W and R), bias adds left out
                long[] x = shapeOf(n, 0, shapes, inits);
                long[] w = shapeOf(n, 1, shapes, inits);
                long[] r = shapeOf(n, 2, shapes, inits);
                if (x == null || w == null || r == null || x.length != 3 || w.length != 3 || r.length != 3) {
                    return null;
                }
                long steps = x[0] * x[1];
                return steps * w[0] * w[1] * (w[2] + r[2]);
            }
            case "Conv", "ConvInteger", "QLinearConv", "FusedConv" -> {
                int wIdx = op.equals("QLinearConv") ? 3 : 1;
                long[] w = shapeOf(n, wIdx, shapes, inits);
                long[] out = n.getOutputCount() > 0 ? shapes.get(n.getOutput(0)) : null;
                if (w == null || out == null || w.length < 2) {
                    return null;
                }
                long perOut = 1;
                for (int i = 1; i < w.length; i++) {
                    perOut *= w[i];
                }
                return product(out) * perOut;
            }
            case "ConvTranspose" -> {
                long[] w = shapeOf(n, 1, shapes, inits);
                long[] in = shapeOf(n, 0, shapes, inits);
                if (w == null || in == null || w.length < 2) {
                    return null;
                }
                long perIn = 1;
                for (int i = 1; i < w.length; i++) {
                    perIn *= w[i];
                }
                return product(in) * perIn;
            }
            case "MatMul", "MatMulInteger", "QLinearMatMul", "FusedMatMul", "MatMulIntegerToFloat", "DynamicQuantizeMatMul" -> {
                long[] a = shapeOf(n, 0, shapes, inits);
                long[] out = n.getOutputCount() > 0 ? shapes.get(n.getOutput(0)) : null;
                if (a == null || out == null || a.length == 0) {
                    return null;
                }
                return product(out) * a[a.length - 1];
            }
            case "MatMulNBits" -> {
                long[] out = n.getOutputCount() > 0 ? shapes.get(n.getOutput(0)) : null;
                if (out == null || !Nodes.hasAttr(n, "K")) {
                    return null;
                }
                return product(out) * Nodes.intAttr(n, "K", 0);
            }
            case "Gemm" -> {
                long[] a = shapeOf(n, 0, shapes, inits);
                long[] out = n.getOutputCount() > 0 ? shapes.get(n.getOutput(0)) : null;
                if (a == null || out == null || a.length != 2) {
                    return null;
                }
                long k = Nodes.intAttr(n, "transA", 0) == 1 ? a[0] : a[1];
                return product(out) * k;
            }
            default -> {
                return 0L;
            }
        }
    }

    private static long[] shapeOf(NodeProto n, int idx, Map<String, long[]> shapes, Map<String, TensorProto> inits) {
        if (n.getInputCount() <= idx) {
            return null;
        }
        String name = n.getInput(idx);
        TensorProto t = inits.get(name);
        if (t != null) {
            return Tensors.dims(t);
        }
        return shapes.get(name);
    }

    private static long product(long[] s) {
        long p = 1;
        for (long d : s) {
            p *= d;
        }
        return p;
    }
}
