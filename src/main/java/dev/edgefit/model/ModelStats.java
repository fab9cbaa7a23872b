package dev.edgefit.model;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Parameters, MACs, weight bytes and operator counts, per layer and in total. Parameters are the
 * elements of floating-point initializers and float Constant tensors; quantized tensors count in weight
 * bytes and in {@code quantizedElements}. A tensor used by several nodes counts once, for its first user.
 * MACs need concrete shapes, measured by running the graph once (see runtime.ShapeProbe); a layer
 * whose shapes are unknown has null MACs.
 */
public record ModelStats(long parameters, long quantizedElements, long weightBytes, Long macs, boolean macsComplete,
                         Map<String, Integer> opHistogram, List<Layer> layers) {

    /** One node of the graph. */
    public record Layer(String name, String opType, long parameters, long weightBytes, Long macs, long[] outputShape) {
    }

    public static ModelStats compute(ModelSnapshot model, Map<String, long[]> shapes) {
        Map<String, TensorProto> inits = model.initializers();
        Set<String> counted = new HashSet<>();
        List<Layer> layers = new ArrayList<>();
        Map<String, Integer> hist = new TreeMap<>();
        long params = 0;
        long quantized = 0;
        long weightBytes = 0;
        long macs = 0;
        boolean complete = true;
        int index = 0;
        for (NodeProto n : model.graph().getNodeList()) {
            index++;
            hist.merge(n.getOpType(), 1, Integer::sum);
            long p = 0;
            long wb = 0;
            for (String in : n.getInputList()) {
                TensorProto t = inits.get(in);
                if (t != null && counted.add(in)) {
                    wb += Tensors.storedBytes(t);
                    if (Tensors.dtype(t).isFloatingPoint()) {
                        p += Tensors.elementCount(t);
                    } else if (isQuantizedWeight(t)) {
                        quantized += Tensors.elementCount(t);
                    }
                }
            }
            if (n.getOpType().equals("Constant")) {
                for (AttributeProto a : n.getAttributeList()) {
                    if (a.hasT()) {
                        TensorProto t = a.getT();
                        wb += Tensors.storedBytes(t);
                        if (Tensors.dtype(t).isFloatingPoint()) {
                            p += Tensors.elementCount(t);
                        }
                    }
                }
            }
            Long m = macs(n, shapes, inits);
            if (m == null) {
                complete = false;
            } else {
                macs += m;
            }
            params += p;
            weightBytes += wb;
            String name = n.getName().isEmpty() ? n.getOpType() + "_" + index : n.getName();
            long[] outShape = n.getOutputCount() > 0 ? shapes.get(n.getOutput(0)) : null;
            layers.add(new Layer(name, n.getOpType(), p, wb, m, outShape));
        }
        return new ModelStats(params, quantized, weightBytes, macs, complete, new LinkedHashMap<>(hist), List.copyOf(layers));
    }

    private static boolean isQuantizedWeight(TensorProto t) {
        DType d = Tensors.dtype(t);
        return (d == DType.INT8 || d == DType.UINT8 || d == DType.INT4 || d == DType.UINT4) && Tensors.elementCount(t) > 1;
    }

    /** Multiply-accumulates of one node for the given shapes; 0 for ops without MACs; null if shapes are missing. */
    public static Long macs(NodeProto n, Map<String, long[]> shapes, Map<String, TensorProto> inits) {
        String op = n.getOpType();
        switch (op) {
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
