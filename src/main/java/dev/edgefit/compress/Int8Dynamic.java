package dev.edgefit.compress;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.edgefit.common.EdgeFitException;
import dev.edgefit.model.DType;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.OpsetUpgrader;
import dev.edgefit.model.Nodes;
import dev.edgefit.model.Tensors;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * int8 dynamic quantization of MatMul and Gemm weights (and, optionally, embedding tables read by Gather).
 * Weights are stored as int8 with a float scale per output channel (or per tensor), symmetric (zero point 0).
 * At run time DynamicQuantizeLinear turns activations into uint8 with a scale computed per inference,
 * MatMulInteger multiplies in integers, and the int32 result is scaled back to float: the same pattern that
 * ONNX Runtime fuses into its DynamicQuantizeMatMul kernel. Embedding rows are int8 with one scale per row,
 * gathered, then scaled.
 */
public final class Int8Dynamic implements Technique {
    public static final String ID = "int8-dynamic";

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String displayName() {
        return "int8 dynamic quantization";
    }

    @Override
    public String description() {
        return "Stores MatMul/Gemm weights (and embedding tables) as int8 with per-channel scales; activations are "
                + "quantized at run time. About 4x smaller weights; runs on every ONNX Runtime CPU build.";
    }

    @Override
    public List<ParamSpec> params() {
        return List.of(
                ParamSpec.bool("per-channel", true, "One scale per output channel (true) or one per weight tensor (false)."),
                ParamSpec.bool("reduce-range", false, "Use 7-bit weights (-64..63) to avoid int16 overflow on CPUs without VNNI; costs some accuracy."),
                ParamSpec.bool("embeddings", true, "Also store embedding tables (Gather on a weight) as int8 with one scale per row."),
                ParamSpec.bool("conv", false, "Also quantize Conv weights (ConvInteger, uint8 activations, int8 weights per output channel): "
                        + "smaller, but ONNX Runtime's CPU ConvInteger is slower than float Conv on small convolutions; prefer int8-static for CNNs."),
                ParamSpec.integer("min-elements", 0, 0, 1 << 30, "Leave weights with fewer elements than this in float."),
                LayerFilter.spec());
    }

    @Override
    public ModelSnapshot apply(ModelSnapshot input, Params params, TechniqueContext ctx) {
        input = OpsetUpgrader.upgrade(input, 11);
        if (input.opset() < 11) {
            throw new EdgeFitException(EdgeFitException.Kind.NOT_APPLICABLE, input.label() + ": int8 dynamic quantization needs opset 11 or later"
                    + " (DynamicQuantizeLinear); this model declares opset " + input.opset() + ".");
        }
        QuantizedParts parts = QuantizedParts.of(input);
        boolean conv = params.getBool("conv");
        ModelSnapshot out;
        try {
            out = Subgraphs.rewrite(input, ID, true, ctx.progress(), (scope, p) -> applyGraph(scope, params, ctx.withProgress(p)));
        } catch (EdgeFitException e) {
            if (e.kind() != EdgeFitException.Kind.NOT_APPLICABLE) {
                throw e;
            }
            throw noLayer(input, conv, params.getBool("embeddings"), parts);
        }
        parts.record(ctx);
        return out;
    }

    /**
     * Why nothing was quantized, in one sentence: the model is already quantized, or its weights are in Conv layers
     * (which {@code conv=true} quantizes) or in recurrent layers (which this technique does not quantize).
     */
    private static EdgeFitException noLayer(ModelSnapshot input, boolean conv, boolean embeddings, QuantizedParts parts) {
        if (parts.any()) {
            return parts.refusal(input, ID, "MatMul/Gemm" + (conv ? "/Conv" : "") + " weights" + (embeddings ? " and embedding tables" : ""));
        }
        int[] convs = new int[1];
        java.util.Set<String> recurrent = new java.util.TreeSet<>();
        countLayers(input.graph(), new HashMap<>(), convs, recurrent);
        String rnn = recurrent.isEmpty() ? "" : " Its " + String.join("/", recurrent) + " layers stay float: this technique does not "
                + "quantize recurrent layers (ONNX Runtime's dynamic quantizer does not either).";
        if (convs[0] > 0 && !conv) {
            return new EdgeFitException(EdgeFitException.Kind.NOT_APPLICABLE, input.label() + ": no MatMul/Gemm layer with a float weight "
                    + "to quantize, but " + convs[0] + " Conv layers: set conv=true to store them as int8 (ConvInteger, about 4x smaller "
                    + "weights; ONNX Runtime's CPU ConvInteger ran 2.3x slower than float Conv on the sample CNN), or use int8-static "
                    + "for int8 kernels that are fast." + rnn);
        }
        return new EdgeFitException(EdgeFitException.Kind.NOT_APPLICABLE, input.label()
                + ": no layer to quantize: int8 dynamic quantization changes MatMul/Gemm" + (conv ? "/Conv" : "") + " nodes with a float "
                + "weight initializer (and embedding Gathers), and this model has none." + rnn);
    }

    /** Conv layers with a float weight initializer and recurrent layers, in every graph. */
    private static void countLayers(ai.onnx.proto.OnnxMl.GraphProto g, Map<String, TensorProto> outer, int[] convs, java.util.Set<String> recurrent) {
        Map<String, TensorProto> inits = new HashMap<>(outer);
        g.getInitializerList().forEach(t -> inits.put(t.getName(), t));
        for (NodeProto n : g.getNodeList()) {
            if (n.getOpType().equals("Conv") && n.getInputCount() >= 2 && inits.containsKey(n.getInput(1))
                    && Tensors.dtype(inits.get(n.getInput(1))) == DType.FLOAT) {
                convs[0]++;
            }
            if (n.getOpType().equals("LSTM") || n.getOpType().equals("GRU") || n.getOpType().equals("RNN")) {
                recurrent.add(n.getOpType());
            }
            Subgraphs.of(n).forEach(sg -> countLayers(sg, inits, convs, recurrent));
        }
    }

    /** Quantizes one graph (the main graph or a subgraph); NOT_APPLICABLE when it has no layer to change. */
    private static ModelSnapshot applyGraph(ModelSnapshot input, Params params, TechniqueContext ctx) {
        QuantizedParts parts = QuantizedParts.of(input);
        boolean perChannel = params.getBool("per-channel");
        int qmax = params.getBool("reduce-range") ? 63 : 127;
        boolean embeddings = params.getBool("embeddings");
        boolean conv = params.getBool("conv");
        long minElements = params.getInt("min-elements");
        LayerFilter layers = LayerFilter.of(params);
        Map<String, TensorProto> inits = input.initializers();
        Map<String, List<NodeProto>> consumers = input.consumers();
        GraphBuilder g = new GraphBuilder(input);
        Map<String, String[]> quantizedActivations = new HashMap<>();
        Map<String, String[]> quantizedWeights = new HashMap<>();
        int changed = 0;
        int total = input.graph().getNodeCount();
        int done = 0;
        for (NodeProto n : input.graph().getNodeList()) {
            ctx.progress().checkCancelled();
            if ((++done & 31) == 0) {
                ctx.progress().update((double) done / total, "Quantizing " + n.getName());
            }
            if (parts.isQuantizationNode(n)) {
                g.keep(n);
                continue;
            }
            TensorProto w = layers.accepts(n) ? weightOf(n, inits, minElements) : null;
            if (w != null && n.getOpType().equals("MatMul")) {
                String[] q = quantizedWeights.computeIfAbsent(w.getName(), k -> quantizeColumns(g, w, false, perChannel, qmax));
                emitMatMul(g, n, n.getInput(0), q, n.getOutput(0), quantizedActivations);
                changed++;
            } else if (w != null && n.getOpType().equals("Gemm") && plainGemm(n)) {
                boolean transB = Nodes.intAttr(n, "transB", 0) == 1;
                String[] q = quantizedWeights.computeIfAbsent(w.getName() + (transB ? "#T" : ""), k -> quantizeColumns(g, w, transB, perChannel, qmax));
                boolean hasBias = n.getInputCount() > 2 && !n.getInput(2).isEmpty();
                String out = hasBias ? g.fresh(n.getOutput(0) + "_nobias") : n.getOutput(0);
                emitMatMul(g, n, n.getInput(0), q, out, quantizedActivations);
                if (hasBias) {
                    g.add("Add", null, n.getName() + "_bias", List.of(out, n.getInput(2)), List.of(n.getOutput(0)));
                }
                changed++;
            } else if (conv && layers.accepts(n) && n.getOpType().equals("Conv") && n.getInputCount() >= 2
                    && inits.containsKey(n.getInput(1)) && Tensors.dtype(inits.get(n.getInput(1))) == DType.FLOAT
                    && inits.get(n.getInput(1)).getDimsCount() >= 3 && explicitPads(n)
                    && Tensors.elementCount(inits.get(n.getInput(1))) >= Math.max(1, minElements)) {
                emitConv(g, n, inits, quantizedWeights, quantizedActivations, qmax);
                changed++;
            } else if (embeddings && layers.accepts(n) && n.getOpType().equals("Gather") && Nodes.intAttr(n, "axis", 0) == 0
                    && inits.containsKey(n.getInput(0)) && Tensors.dtype(inits.get(n.getInput(0))) == DType.FLOAT
                    && inits.get(n.getInput(0)).getDimsCount() == 2 && inits.get(n.getInput(0)).getDims(1) >= 16
                    && Tensors.elementCount(inits.get(n.getInput(0))) >= Math.max(minElements, 1024)) {
                TensorProto table = inits.get(n.getInput(0));
                String[] q = quantizedWeights.computeIfAbsent(table.getName() + "#rows", k -> quantizeRows(g, table, qmax));
                String gq = g.fresh(n.getOutput(0) + "_q");
                String gs = g.fresh(n.getOutput(0) + "_scale");
                String gf = g.fresh(n.getOutput(0) + "_f");
                String gsf = g.fresh(n.getOutput(0) + "_scale_f");
                g.add("Gather", null, n.getName() + "_q", List.of(q[0], n.getInput(1)), List.of(gq), GraphBuilder.intAttr("axis", 0));
                g.add("Gather", null, n.getName() + "_scale", List.of(q[1], n.getInput(1)), List.of(gs), GraphBuilder.intAttr("axis", 0));
                g.add("Cast", null, n.getName() + "_cast", List.of(gq), List.of(gf), GraphBuilder.intAttr("to", DType.FLOAT.onnxCode()));
                g.add("Cast", null, n.getName() + "_scale_cast", List.of(gs), List.of(gsf), GraphBuilder.intAttr("to", DType.FLOAT.onnxCode()));
                g.add("Mul", null, n.getName() + "_dequant", List.of(gf, gsf), List.of(n.getOutput(0)));
                changed++;
            } else {
                g.keep(n);
            }
        }
        if (changed == 0) {
            throw new EdgeFitException(EdgeFitException.Kind.NOT_APPLICABLE, input.label() + ": no layer to quantize.");
        }
        ctx.progress().update(1.0, "Quantized " + changed + " layers");
        return g.build(ID);
    }

    private static TensorProto weightOf(NodeProto n, Map<String, TensorProto> inits, long minElements) {
        if (n.getInputCount() < 2) {
            return null;
        }
        TensorProto w = inits.get(n.getInput(1));
        if (w == null || Tensors.dtype(w) != DType.FLOAT || w.getDimsCount() != 2 || Tensors.elementCount(w) < Math.max(1, minElements)) {
            return null;
        }
        return w;
    }

    private static boolean plainGemm(NodeProto n) {
        return Nodes.intAttr(n, "transA", 0) == 0 && Nodes.floatAttr(n, "alpha", 1f) == 1f && Nodes.floatAttr(n, "beta", 1f) == 1f;
    }

    /** ConvInteger(x_u8, w_s8, x_zero_point) -> int32 -> float x (x_scale * w_scale[c]) [+ bias], per output channel. */
    private static void emitConv(GraphBuilder g, NodeProto n, Map<String, TensorProto> inits, Map<String, String[]> weights,
                                 Map<String, String[]> acts, int qmax) {
        TensorProto w = inits.get(n.getInput(1));
        int cout = (int) w.getDims(0);
        long[] perChannel = channelShape(cout, w.getDimsCount());
        String[] q = weights.computeIfAbsent(w.getName() + "#conv", k -> {
            float[] v = Tensors.toFloats(w);
            int per = v.length / cout;
            float[] scale = new float[cout];
            byte[] codes = new byte[v.length];
            for (int c = 0; c < cout; c++) {
                float m = 0;
                for (int i = 0; i < per; i++) {
                    m = Math.max(m, Math.abs(v[c * per + i]));
                }
                scale[c] = m == 0 ? 1f : m / qmax;
                for (int i = 0; i < per; i++) {
                    codes[c * per + i] = (byte) Math.max(-qmax, Math.min(qmax, Math.round(v[c * per + i] / scale[c])));
                }
            }
            String qn = g.addInitializer(Tensors.int8(w.getName() + "_quantized", Tensors.dims(w), codes));
            String sn = g.addInitializer(Tensors.floats(w.getName() + "_scale", channelShape(cout, w.getDimsCount()), scale));
            return new String[] {qn, sn};
        });
        String x = n.getInput(0);
        String[] a = quantizeActivation(g, x, acts);
        String base = n.getName().isEmpty() ? n.getOutput(0) : n.getName();
        String yi = g.fresh(n.getOutput(0) + "_int32");
        String yf = g.fresh(n.getOutput(0) + "_cast");
        String s = g.fresh(base + "_scales_mul");
        boolean hasBias = n.getInputCount() > 2 && !n.getInput(2).isEmpty();
        String scaled = hasBias ? g.fresh(n.getOutput(0) + "_nobias") : n.getOutput(0);
        NodeProto.Builder ci = NodeProto.newBuilder().setOpType("ConvInteger").setName(g.fresh(base + "_quant"))
                .addInput(a[0]).addInput(q[0]).addInput(a[2]).addOutput(yi);
        n.getAttributeList().forEach(ci::addAttribute);
        g.keep(ci.build());
        g.add("Mul", null, base + "_scales_mul", List.of(a[1], q[1]), List.of(s));
        g.add("Cast", null, base + "_cast", List.of(yi), List.of(yf), GraphBuilder.intAttr("to", DType.FLOAT.onnxCode()));
        g.add("Mul", null, base + "_output_scale_mul", List.of(yf, s), List.of(scaled));
        if (hasBias) {
            TensorProto b = inits.get(n.getInput(2));
            String bias = b == null ? n.getInput(2)
                    : g.addInitializer(Tensors.floats(b.getName() + "_per_channel", perChannel, Tensors.toFloats(b)));
            g.add("Add", null, base + "_bias", List.of(scaled, bias), List.of(n.getOutput(0)));
        }
    }

    /** No auto_pad, or auto_pad NOTSET (PyTorch exports write it with explicit pads). */
    private static boolean explicitPads(NodeProto n) {
        return n.getAttributeList().stream().noneMatch(a -> a.getName().equals("auto_pad") && !a.getS().toStringUtf8().equals("NOTSET"));
    }

    /** [C, 1, ...]: one value per output channel, broadcast over the spatial axes of a Conv of weight rank {@code rank}. */
    private static long[] channelShape(int channels, int rank) {
        long[] d = new long[rank - 1];
        java.util.Arrays.fill(d, 1);
        d[0] = channels;
        return d;
    }

    private static String[] quantizeActivation(GraphBuilder g, String x, Map<String, String[]> acts) {
        return acts.computeIfAbsent(x, k -> {
            String xq = g.fresh(x + "_quantized");
            String xs = g.fresh(x + "_scale");
            String xz = g.fresh(x + "_zero_point");
            g.add("DynamicQuantizeLinear", null, x + "_QuantizeLinear", List.of(x), List.of(xq, xs, xz));
            return new String[] {xq, xs, xz};
        });
    }

    private static void emitMatMul(GraphBuilder g, NodeProto n, String x, String[] q, String out, Map<String, String[]> acts) {
        String[] a = quantizeActivation(g, x, acts);
        String base = n.getName().isEmpty() ? out : n.getName();
        String yi = g.fresh(out + "_int32");
        String yf = g.fresh(out + "_cast");
        String s = g.fresh(base + "_scales_mul");
        g.add("MatMulInteger", null, base + "_quant", List.of(a[0], q[0], a[2]), List.of(yi));
        g.add("Mul", null, base + "_scales_mul", List.of(a[1], q[1]), List.of(s));
        g.add("Cast", null, base + "_cast", List.of(yi), List.of(yf), GraphBuilder.intAttr("to", DType.FLOAT.onnxCode()));
        g.add("Mul", null, base + "_output_scale_mul", List.of(yf, s), List.of(out));
    }

    /** int8 weights [K, N] with a scale per column N (per output channel); transposes Gemm's [N, K] first. */
    /**
     * Rounds to the nearest integer, ties to even (as {@link Math#rint}), for |x| < 2^22: adding 1.5 x 2^23 leaves
     * the rounded integer in the float's low mantissa bits. Branch-free, so the quantizing loops vectorize; the
     * values here are within +-qmax by construction of the scales.
     */
    static int roundHalfEven(float x) {
        return Float.floatToRawIntBits(x + 12582912f) - 0x4B400000;
    }

    static String[] quantizeColumns(GraphBuilder g, TensorProto w, boolean transposed, boolean perChannel, int qmax) {
        java.nio.FloatBuffer v = Tensors.floatView(w);
        int rows = (int) w.getDims(0);
        int cols = (int) w.getDims(1);
        int k = transposed ? cols : rows;
        int nOut = transposed ? rows : cols;
        // the stored matrix is read one row at a time into a plain array (bulk copy), and the loops below have no
        // branches inside, so that they run at array speed; stored row r is output channel r when transposed
        float[] row = new float[cols];
        float[] absMax = new float[nOut];
        for (int r = 0; r < rows; r++) {
            v.get(r * cols, row);
            if (transposed) {
                float m = absMax[r];
                for (int c = 0; c < cols; c++) {
                    m = Math.max(m, Math.abs(row[c]));
                }
                absMax[r] = m;
            } else {
                for (int c = 0; c < cols; c++) {
                    absMax[c] = Math.max(absMax[c], Math.abs(row[c]));
                }
            }
        }
        float[] scale;
        if (perChannel) {
            scale = absMax;
        } else {
            float m = 0;
            for (float x : absMax) {
                m = Math.max(m, x);
            }
            scale = new float[] {m};
        }
        float[] inv = new float[nOut];
        for (int s = 0; s < scale.length; s++) {
            scale[s] = scale[s] == 0 ? 1f : scale[s] / qmax;
        }
        for (int j = 0; j < nOut; j++) {
            inv[j] = 1f / scale[perChannel ? j : 0];
        }
        byte[] q = new byte[k * nOut];
        for (int r = 0; r < rows; r++) {
            v.get(r * cols, row);
            if (transposed) {
                float f = inv[r];
                for (int c = 0; c < cols; c++) {
                    q[c * nOut + r] = (byte) Math.max(-qmax, Math.min(qmax, roundHalfEven(row[c] * f)));
                }
            } else {
                int base = r * nOut;
                for (int c = 0; c < cols; c++) {
                    q[base + c] = (byte) Math.max(-qmax, Math.min(qmax, roundHalfEven(row[c] * inv[c])));
                }
            }
        }
        String qn = g.addInitializer(Tensors.int8(w.getName() + "_quantized", new long[] {k, nOut}, q));
        String sn = g.addInitializer(Tensors.floats(w.getName() + "_scale", perChannel ? new long[] {nOut} : new long[0], scale));
        return new String[] {qn, sn};
    }

    /**
     * int8 table [V, D] with one scale per row, stored as float16 [V, 1] so that gathered scales broadcast; the codes
     * are computed against the float16-rounded scale, so code x scale is exactly what the graph reconstructs.
     */
    static String[] quantizeRows(GraphBuilder g, TensorProto t, int qmax) {
        java.nio.FloatBuffer v = Tensors.floatView(t);
        int rows = (int) t.getDims(0);
        int cols = (int) t.getDims(1);
        byte[] q = new byte[rows * cols];
        java.nio.ByteBuffer halves = java.nio.ByteBuffer.allocate(rows * 2).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            v.get(r * cols, row);
            float m = 0;
            for (int c = 0; c < cols; c++) {
                m = Math.max(m, Math.abs(row[c]));
            }
            short half = dev.edgefit.model.Half.fromFloat(m == 0 ? 1f : m / qmax);
            halves.putShort(half);
            float inv = 1f / dev.edgefit.model.Half.toFloat(half);
            for (int c = 0; c < cols; c++) {
                q[r * cols + c] = (byte) Math.max(-qmax, Math.min(qmax, roundHalfEven(row[c] * inv)));
            }
        }
        String qn = g.addInitializer(Tensors.int8(t.getName() + "_quantized", new long[] {rows, cols}, q));
        String sn = g.addInitializer(Tensors.raw(t.getName() + "_row_scale", DType.FLOAT16, new long[] {rows, 1}, halves.array()));
        return new String[] {qn, sn};
    }
}
