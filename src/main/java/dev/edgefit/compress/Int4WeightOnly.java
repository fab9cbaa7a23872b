package dev.edgefit.compress;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.edgefit.common.EdgeFitException;
import dev.edgefit.model.DType;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.Nodes;
import dev.edgefit.model.Tensors;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * int4 block-wise weight-only quantization of MatMul/Gemm weights with ONNX Runtime's com.microsoft MatMulNBits:
 * each output column is cut into blocks of block-size values along K, each block stored as 4-bit codes with a
 * float scale (and, when asymmetric, a 4-bit zero point). Activations stay float; the kernel dequantizes blocks on
 * the fly, so weights stay packed in memory at run time.
 */
public final class Int4WeightOnly implements Technique {
    public static final String ID = "int4";

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String displayName() {
        return "int4 weight-only (block-wise)";
    }

    @Override
    public String description() {
        return "Stores MatMul/Gemm weights as 4-bit codes in blocks along K with a scale per block (MatMulNBits). "
                + "About 7x smaller weights; float activations; weights stay packed at run time in ONNX Runtime.";
    }

    @Override
    public List<ParamSpec> params() {
        return List.of(
                ParamSpec.choice("block-size", "32", List.of("16", "32", "64", "128"), "Values of K that share one scale."),
                ParamSpec.bool("symmetric", true, "Symmetric blocks (zero point 8) or asymmetric with a stored 4-bit zero point per block."),
                ParamSpec.integer("min-elements", 0, 0, 1 << 30, "Leave weights with fewer elements than this in float."),
                LayerFilter.spec());
    }

    /** Already quantized with no MatMul/Gemm left whose weight is a float 2-D initializer (main graph or subgraphs). */
    @Override
    public String notApplicable(ModelSnapshot input) {
        QuantizedParts parts = QuantizedParts.of(input);
        if (!parts.any() || hasFloatWeight(input.graph(), new java.util.HashSet<>())) {
            return null;
        }
        return parts.describe() + "; int4 changes MatMul/Gemm nodes with a float 2-D weight, and none is left in float (apply it to the float model instead)";
    }

    private static boolean hasFloatWeight(ai.onnx.proto.OnnxMl.GraphProto g, java.util.Set<String> outerFloat2d) {
        java.util.Set<String> float2d = new java.util.HashSet<>(outerFloat2d);
        for (TensorProto t : g.getInitializerList()) {
            if (Tensors.dtype(t) == DType.FLOAT && t.getDimsCount() == 2) {
                float2d.add(t.getName());
            }
        }
        for (NodeProto n : g.getNodeList()) {
            if ((n.getOpType().equals("MatMul") || n.getOpType().equals("Gemm")) && n.getInputCount() >= 2 && float2d.contains(n.getInput(1))) {
                return true;
            }
            for (ai.onnx.proto.OnnxMl.GraphProto sub : Subgraphs.of(n)) {
                if (hasFloatWeight(sub, float2d)) {
                    return true;
                }
            }
        }
        return false;
    }

    @Override
    public ModelSnapshot apply(ModelSnapshot input, Params params, TechniqueContext ctx) {
        QuantizedParts parts = QuantizedParts.of(input);
        ModelSnapshot out;
        try {
            out = Subgraphs.rewrite(input, ID, true, ctx.progress(), (scope, p) -> applyGraph(scope, params, ctx.withProgress(p)));
        } catch (EdgeFitException e) {
            if (e.kind() == EdgeFitException.Kind.NOT_APPLICABLE && parts.any()) {
                throw parts.refusal(input, ID, "MatMul/Gemm nodes with a float 2-D weight");
            }
            throw e;
        }
        parts.record(ctx);
        return out;
    }

    /** Quantizes one graph (the main graph or a subgraph); NOT_APPLICABLE when it has no layer to change. */
    private static ModelSnapshot applyGraph(ModelSnapshot input, Params params, TechniqueContext ctx) {
        int block = Integer.parseInt(params.getString("block-size"));
        boolean symmetric = params.getBool("symmetric");
        long min = params.getInt("min-elements");
        LayerFilter layers = LayerFilter.of(params);
        Map<String, TensorProto> inits = input.initializers();
        GraphBuilder g = new GraphBuilder(input);
        Map<String, String[]> packed = new HashMap<>();
        int changed = 0;
        int done = 0;
        int total = input.graph().getNodeCount();
        for (NodeProto n : input.graph().getNodeList()) {
            ctx.progress().checkCancelled();
            if ((++done & 31) == 0) {
                ctx.progress().update((double) done / total, "Quantizing " + n.getName());
            }
            TensorProto w = n.getInputCount() >= 2 ? inits.get(n.getInput(1)) : null;
            boolean eligible = w != null && layers.accepts(n) && Tensors.dtype(w) == DType.FLOAT && w.getDimsCount() == 2
                    && Tensors.elementCount(w) >= Math.max(1, min);
            boolean matmul = eligible && n.getOpType().equals("MatMul");
            boolean gemm = eligible && n.getOpType().equals("Gemm") && Nodes.intAttr(n, "transA", 0) == 0
                    && Nodes.floatAttr(n, "alpha", 1f) == 1f && Nodes.floatAttr(n, "beta", 1f) == 1f;
            if (!matmul && !gemm) {
                g.keep(n);
                continue;
            }
            boolean transB = gemm && Nodes.intAttr(n, "transB", 0) == 1;
            float[] v = Tensors.toFloats(w);
            int rows = (int) w.getDims(0);
            int cols = (int) w.getDims(1);
            int k = transB ? cols : rows;
            int nOut = transB ? rows : cols;
            String[] q = packed.computeIfAbsent(w.getName() + (transB ? "#T" : ""), key -> {
                Blocks b = quantize(v, k, nOut, transB, block, symmetric);
                String bn = g.addInitializer(Tensors.uint8(w.getName() + "_q4", new long[] {nOut, b.blocksPerColumn, block / 2}, b.codes));
                String sn = g.addInitializer(Tensors.floats(w.getName() + "_scales", new long[] {(long) nOut * b.blocksPerColumn}, b.scales));
                String zn = b.zeroPoints == null ? null
                        : g.addInitializer(Tensors.uint8(w.getName() + "_zero_points", new long[] {b.zeroPoints.length}, b.zeroPoints));
                return new String[] {bn, sn, zn};
            });
            boolean hasBias = gemm && n.getInputCount() > 2 && !n.getInput(2).isEmpty();
            String out = hasBias ? g.fresh(n.getOutput(0) + "_nobias") : n.getOutput(0);
            List<String> ins = q[2] == null ? List.of(n.getInput(0), q[0], q[1]) : List.of(n.getInput(0), q[0], q[1], q[2]);
            g.add("MatMulNBits", "com.microsoft", n.getName() + "_Q4", ins, List.of(out),
                    GraphBuilder.intAttr("K", k), GraphBuilder.intAttr("N", nOut), GraphBuilder.intAttr("bits", 4),
                    GraphBuilder.intAttr("block_size", block));
            if (hasBias) {
                g.add("Add", null, n.getName() + "_bias", List.of(out, n.getInput(2)), List.of(n.getOutput(0)));
            }
            changed++;
        }
        if (changed == 0) {
            throw new EdgeFitException(EdgeFitException.Kind.NOT_APPLICABLE, input.label()
                    + ": no layer to quantize: int4 weight-only quantization changes MatMul/Gemm nodes with a float 2-D weight,"
                    + " and this model has none.");
        }
        g.requireOpset("com.microsoft", 1);
        ctx.progress().update(1.0, "Quantized " + changed + " layers to 4 bits");
        return g.build(ID);
    }

    /** Packed 4-bit codes [N][blocks][block/2], scales [N*blocks], zero points (asymmetric) packed two per byte. */
    record Blocks(byte[] codes, float[] scales, byte[] zeroPoints, int blocksPerColumn) {
    }

    static Blocks quantize(float[] v, int k, int nOut, boolean transposed, int block, boolean symmetric) {
        int blocks = (k + block - 1) / block;
        byte[] codes = new byte[nOut * blocks * block / 2];
        float[] scales = new float[nOut * blocks];
        int zpBytesPerColumn = (blocks + 1) / 2;
        byte[] zps = symmetric ? null : new byte[nOut * zpBytesPerColumn];
        int cols = transposed ? k : nOut;
        float[] col = new float[block];
        for (int n = 0; n < nOut; n++) {
            for (int b = 0; b < blocks; b++) {
                for (int j = 0; j < block; j++) {
                    int kk = b * block + j;
                    col[j] = kk >= k ? 0f : (transposed ? v[n * cols + kk] : v[kk * cols + n]);
                }
                float scale;
                int zp;
                if (symmetric) {
                    // the value of largest magnitude maps exactly to code 0 (= -8 after the zero point of 8)
                    float extreme = 0;
                    for (float x : col) {
                        if (Math.abs(x) > Math.abs(extreme)) {
                            extreme = x;
                        }
                    }
                    scale = extreme == 0 ? 1f : extreme / -8f;
                    zp = 8;
                } else {
                    float lo = 0;
                    float hi = 0;
                    for (float x : col) {
                        lo = Math.min(lo, x);
                        hi = Math.max(hi, x);
                    }
                    scale = hi == lo ? 1f : (hi - lo) / 15f;
                    zp = Math.max(0, Math.min(15, Math.round(-lo / scale)));
                    int zi = n * zpBytesPerColumn + b / 2;
                    zps[zi] = (byte) ((b & 1) == 0 ? (zps[zi] & 0xF0) | zp : (zps[zi] & 0x0F) | (zp << 4));
                }
                scales[n * blocks + b] = scale;
                int base = (n * blocks + b) * (block / 2);
                for (int j = 0; j < block; j++) {
                    int code = Math.max(0, Math.min(15, Math.round(col[j] / scale) + zp));
                    int idx = base + j / 2;
                    codes[idx] = (byte) ((j & 1) == 0 ? (codes[idx] & 0xF0) | code : (codes[idx] & 0x0F) | (code << 4));
                }
            }
        }
        return new Blocks(codes, scales, zps, blocks);
    }

    /** The float weight [K, N] that the packed blocks stand for: what MatMulNBits multiplies by. */
    static float[] dequantize(Blocks q, int k, int nOut, int block) {
        float[] w = new float[k * nOut];
        int zpBytesPerColumn = (q.blocksPerColumn + 1) / 2;
        for (int n = 0; n < nOut; n++) {
            for (int kk = 0; kk < k; kk++) {
                int b = kk / block;
                int j = kk % block;
                int byteVal = q.codes[(n * q.blocksPerColumn + b) * (block / 2) + j / 2] & 0xFF;
                int code = (j & 1) == 0 ? byteVal & 0x0F : byteVal >>> 4;
                int zp = 8;
                if (q.zeroPoints != null) {
                    int z = q.zeroPoints[n * zpBytesPerColumn + b / 2] & 0xFF;
                    zp = (b & 1) == 0 ? z & 0x0F : z >>> 4;
                }
                w[kk * nOut + n] = (code - zp) * q.scales[n * q.blocksPerColumn + b];
            }
        }
        return w;
    }
}
