package dev.edgefit.compress;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.edgefit.common.EdgeFitException;
import dev.edgefit.eval.EvalConfig;
import dev.edgefit.eval.Evaluator;
import dev.edgefit.model.DType;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.OpsetUpgrader;
import dev.edgefit.model.Nodes;
import dev.edgefit.model.Tensors;
import dev.edgefit.runtime.Tensor;

import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * int8 static quantization in QDQ form: activations get a QuantizeLinear/DequantizeLinear pair with a scale fixed by
 * calibration; Conv/MatMul/Gemm weights are int8 per output channel; biases int32 with scale = input scale x weight
 * scale. Runtimes that understand QDQ (ONNX Runtime, TensorRT, the TFLite converter) run the integer kernels;
 * others still run it in float. BatchNormalization is folded into Conv first so that it does not split Conv from
 * its quantized output.
 */
public final class Int8Static implements Technique {
    public static final String ID = "int8-static";
    static final String DEFAULT_OPS = "Conv,MatMul,Gemm,Relu,Clip,MaxPool,AveragePool,GlobalAveragePool,Add,Flatten";

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String displayName() {
        return "int8 static (calibrated, QDQ)";
    }

    @Override
    public String description() {
        return "Quantizes weights (int8 per channel) and activations (int8 ranges from calibration data) in QDQ form; "
                + "biases become int32. Integer kernels end to end where the runtime supports QDQ.";
    }

    @Override
    public List<ParamSpec> params() {
        return List.of(
                ParamSpec.choice("calibration", "minmax", List.of("minmax", "percentile", "entropy"), "How activation ranges are chosen from the calibration data."),
                ParamSpec.decimal("percentile", 99.99, 90, 100, "For calibration=percentile: the percentile kept at each tail."),
                ParamSpec.integer("samples", 200, 1, 100_000, "Calibration samples (from the dataset, or generated inputs when there is none)."),
                ParamSpec.choice("activations", "asymmetric", List.of("asymmetric", "symmetric"), "uint8 activations with a zero point, or int8 symmetric."),
                ParamSpec.bool("per-channel", true, "One weight scale per output channel (true) or per tensor (false)."),
                ParamSpec.text("op-types", DEFAULT_OPS, "Operator types whose inputs and outputs are quantized."),
                ParamSpec.text("exclude", "", "Node names or operator types to leave in float, comma separated."),
                ParamSpec.bool("bias-correction", false, "Fold each Conv/Gemm layer's expected output shift from weight rounding "
                        + "(weight error times the calibration data's mean input per channel) into its bias."));
    }

    /** The model at the opset the chosen form needs (13 for per-channel weights, else 10), upgraded in memory. */
    public static ModelSnapshot upgraded(ModelSnapshot model, Params params) {
        return OpsetUpgrader.upgrade(model, params.getBool("per-channel") ? 13 : 10);
    }

    /** The checks that need no calibration (the opset, a layer of the chosen types): what callers run before calibrating. */
    public static void checkApplicable(ModelSnapshot original, Params params) {
        QuantizedParts already = QuantizedParts.of(original);
        if (already.any() && original.graph().getNodeList().stream().noneMatch(n -> (n.getOpType().equals("Conv")
                || n.getOpType().equals("MatMul") || n.getOpType().equals("Gemm")) && n.getInputCount() >= 2
                && original.initializers().containsKey(n.getInput(1)) && Tensors.dtype(original.initializers().get(n.getInput(1))) == DType.FLOAT)) {
            throw already.refusal(original, ID, "Conv/MatMul/Gemm layers with a float weight (and the activations between them)");
        }
        if (original.opset() < 10 || (params.getBool("per-channel") && original.opset() < 13)) {
            throw new EdgeFitException(EdgeFitException.Kind.NOT_APPLICABLE, original.label() + ": int8 static quantization needs opset "
                    + (original.opset() < 10 ? "10" : "13 for per-channel weights (set per-channel=false for per-tensor ones)")
                    + " or later; this model declares opset " + original.opset() + ".");
        }
        Set<String> opTypes = csv(params.getString("op-types"));
        Set<String> exclude = csv(params.getString("exclude"));
        if (original.graph().getNodeList().stream().noneMatch(n -> opTypes.contains(n.getOpType()) && !exclude.contains(n.getName())
                && !exclude.contains(n.getOpType()))) {
            throw new EdgeFitException(EdgeFitException.Kind.NOT_APPLICABLE, original.label() + ": no layer to quantize among the operator types "
                    + opTypes + (exclude.isEmpty() ? "" : " (excluding " + exclude + ")") + subgraphNote(original));
        }
    }

    /** How a refusal ends: with what to do instead when the layers are inside If/Loop/Scan subgraphs. */
    private static String subgraphNote(ModelSnapshot m) {
        return m.graph().getNodeList().stream().anyMatch(nd -> !Subgraphs.of(nd).isEmpty())
                ? " in the main graph; int8-static does not calibrate the layers inside If/Loop/Scan subgraphs (int8-dynamic with "
                + "conv=true quantizes them)." : ".";
    }

    @Override
    public ModelSnapshot apply(ModelSnapshot model, Params params, TechniqueContext ctx) {
        ModelSnapshot original = upgraded(model, params);
        checkApplicable(original, params);
        ModelSnapshot input = foldBatchNorm(original, ctx);
        QuantizedParts parts = QuantizedParts.of(input);
        Set<String> opTypes = csv(params.getString("op-types"));
        Set<String> exclude = csv(params.getString("exclude"));
        boolean symmetric = params.getString("activations").equals("symmetric");
        boolean perChannel = params.getBool("per-channel");
        Map<String, TensorProto> inits = input.initializers();
        Set<String> graphOutputs = new HashSet<>();
        input.graph().getOutputList().forEach(o -> graphOutputs.add(o.getName()));

        // which activation tensors get a Q/DQ pair: the float inputs of the chosen nodes (an output is quantized
        // when it feeds another chosen node; quantizing every output would add noise where nothing runs in int8)
        Set<String> floatValues = floatActivations(input);
        Set<String> acts = new LinkedHashSet<>();
        List<NodeProto> chosen = input.graph().getNodeList().stream()
                .filter(n -> opTypes.contains(n.getOpType()) && !exclude.contains(n.getName()) && !exclude.contains(n.getOpType()))
                .filter(n -> !parts.isQuantizationNode(n)).toList();
        boolean floatLayer = chosen.stream().anyMatch(nd -> (nd.getOpType().equals("Conv") || nd.getOpType().equals("MatMul")
                || nd.getOpType().equals("Gemm")) && nd.getInputCount() >= 2 && inits.containsKey(nd.getInput(1))
                && Tensors.dtype(inits.get(nd.getInput(1))) == DType.FLOAT);
        if (!floatLayer && parts.any()) {
            throw parts.refusal(original, ID, "Conv/MatMul/Gemm layers with a float weight (and the activations between them)");
        }
        for (NodeProto n : chosen) {
            for (String in : n.getInputList()) {
                if (floatValues.contains(in) && !inits.containsKey(in)) {
                    acts.add(in);
                }
            }
        }
        if (chosen.isEmpty() || acts.isEmpty()) {
            throw new EdgeFitException(EdgeFitException.Kind.NOT_APPLICABLE, original.label() + ": no layer to quantize among the operator types "
                    + opTypes + (exclude.isEmpty() ? "" : " (excluding " + exclude + ")") + subgraphNote(input));
        }

        // calibration
        int n = params.getInt("samples");
        EvalConfig cfg = EvalConfig.defaults().withData(ctx.data()).withInputs(ctx.inputs());
        List<Map<String, Tensor>> samples = new Evaluator.Inputs(original, cfg).samples(n);
        ActivationRanges.Method method = ActivationRanges.Method.valueOf(params.getString("calibration").toUpperCase(Locale.ROOT));
        Map<String, float[]> ranges = ActivationRanges.collect(input, acts, samples, method, params.getDouble("percentile"),
                ctx.progress().slice(0, 0.8));

        Map<String, double[]> means = Map.of();
        if (params.getBool("bias-correction")) {
            Set<String> layerInputs = new LinkedHashSet<>();
            chosen.stream().filter(nd -> (nd.getOpType().equals("Conv") || nd.getOpType().equals("Gemm")) && inits.containsKey(nd.getInput(1)))
                    .forEach(nd -> layerInputs.add(nd.getInput(0)));
            means = ActivationRanges.channelMeans(input, layerInputs, samples, ctx.progress().slice(0.8, 0.85));
        }
        GraphBuilder g = new GraphBuilder(input);
        Map<String, String> dq = new HashMap<>();           // activation -> its dequantized name
        Map<String, Float> actScale = new HashMap<>();
        Map<String, String[]> qdqNames = new HashMap<>();
        for (String a : acts) {
            float[] r = ranges.get(a);
            if (r == null) {
                continue;
            }
            float lo = Math.min(r[0], 0f);
            float hi = Math.max(r[1], 0f);
            float scale;
            TensorProto zp;
            if (symmetric) {
                float m = Math.max(Math.abs(lo), Math.abs(hi));
                scale = m == 0 ? 1f : m / 127f;
                zp = Tensors.int8(a + "_zero_point", new long[0], new byte[] {0});
            } else {
                scale = hi == lo ? 1f : (hi - lo) / 255f;
                int z = Math.max(0, Math.min(255, Math.round(-lo / scale)));
                zp = Tensors.uint8(a + "_zero_point", new long[0], new byte[] {(byte) z});
            }
            String sn = g.addInitializer(Tensors.floats(a + "_scale", new long[0], new float[] {scale}));
            String zn = g.addInitializer(zp);
            actScale.put(a, scale);
            dq.put(a, g.fresh(a + "_DequantizeLinear_Output"));
            qdqNames.put(a, new String[] {sn, zn, g.fresh(a + "_QuantizeLinear_Output")});
        }

        // graph inputs that are quantized get their Q/DQ before any node
        Set<String> graphInputs = new HashSet<>();
        input.inputs().forEach(s -> graphInputs.add(s.name()));
        for (String a : dq.keySet()) {
            if (graphInputs.contains(a)) {
                emitQdq(g, a, qdqNames.get(a), dq.get(a));
            }
        }
        int weights = 0;
        int done = 0;
        List<NodeProto> all = input.graph().getNodeList();
        for (NodeProto node : all) {
            ctx.progress().checkCancelled();
            ctx.progress().update(0.8 + 0.2 * ++done / all.size(), "Quantizing " + node.getName());
            NodeProto.Builder nb = node.toBuilder();
            for (int i = 0; i < nb.getInputCount(); i++) {
                String in = nb.getInput(i);
                if (dq.containsKey(in)) {
                    nb.setInput(i, dq.get(in));
                }
            }
            boolean weighted = chosen.contains(node) && (node.getOpType().equals("Conv") || node.getOpType().equals("MatMul")
                    || node.getOpType().equals("Gemm")) && node.getInputCount() >= 2 && inits.containsKey(node.getInput(1))
                    && Tensors.dtype(inits.get(node.getInput(1))) == DType.FLOAT && inits.get(node.getInput(1)).getDimsCount() >= 2;
            if (weighted && (!node.getOpType().equals("Gemm") || (Nodes.intAttr(node, "transA", 0) == 0
                    && Nodes.floatAttr(node, "alpha", 1f) == 1f && Nodes.floatAttr(node, "beta", 1f) == 1f))) {
                TensorProto w = inits.get(node.getInput(1));
                int axis = node.getOpType().equals("Conv") || (node.getOpType().equals("Gemm") && Nodes.intAttr(node, "transB", 0) == 1) ? 0 : 1;
                QuantizedWeight qw = quantizeWeight(g, w, axis, perChannel);
                nb.setInput(1, qw.name());
                float[] ws = qw.scales();
                Float xs = actScale.get(node.getInput(0));
                boolean hasBias = node.getInputCount() > 2 && !node.getInput(2).isEmpty() && inits.containsKey(node.getInput(2))
                        && inits.get(node.getInput(2)).getDimsCount() == 1;
                double[] mean = means.get(node.getInput(0));
                TensorProto bias = hasBias ? inits.get(node.getInput(2)) : null;
                if (mean != null && !node.getOpType().equals("MatMul") && (hasBias || node.getInputCount() <= 2)) {
                    bias = corrected(node, w, bias, qw.error(), mean);
                    if (!hasBias) {
                        while (nb.getInputCount() < 3) {
                            nb.addInput("");
                        }
                        hasBias = true;
                    }
                    nb.setInput(2, g.addInitializer(bias));
                }
                if (hasBias && xs != null) {
                    nb.setInput(2, quantizeBias(g, bias, xs, ws));
                }
                weights++;
            }
            g.keep(nb.build());
            for (String out : node.getOutputList()) {
                if (dq.containsKey(out)) {
                    emitQdq(g, out, qdqNames.get(out), dq.get(out));
                }
            }
        }
        parts.record(ctx);
        ctx.progress().update(1.0, "Quantized " + dq.size() + " activations and " + weights + " weights");
        return g.build(ID);
    }

    /** The dequantized weight's name, its scales, and its rounding error (dequantized minus float). */
    record QuantizedWeight(String name, float[] scales, float[] error) {
    }

    /**
     * The bias minus the expected output shift of weight rounding: shift[c] = sum over the weights feeding output
     * channel c of error x mean input of that weight's input channel (Conv groups respected; padding ignored).
     */
    static TensorProto corrected(NodeProto node, TensorProto w, TensorProto bias, float[] error, double[] mean) {
        long[] d = Tensors.dims(w);
        boolean conv = node.getOpType().equals("Conv");
        boolean transB = Nodes.intAttr(node, "transB", 0) == 1;
        int cout = (int) (conv || transB ? d[0] : d[1]);
        double[] shift = new double[cout];
        if (conv) {
            int group = (int) Nodes.intAttr(node, "group", 1);
            int cinG = (int) d[1];
            int k = error.length / (cout * cinG);
            int perGroup = cout / group;
            for (int c = 0; c < cout; c++) {
                for (int ci = 0; ci < cinG; ci++) {
                    double m = mean[(c / perGroup) * cinG + ci];
                    for (int j = 0; j < k; j++) {
                        shift[c] += error[(c * cinG + ci) * k + j] * m;
                    }
                }
            }
        } else {
            int kk = (int) (transB ? d[1] : d[0]);
            for (int c = 0; c < cout; c++) {
                for (int i = 0; i < kk; i++) {
                    shift[c] += (transB ? error[c * kk + i] : error[i * cout + c]) * mean[i];
                }
            }
        }
        float[] b = bias == null ? new float[cout] : Tensors.toFloats(bias);
        for (int c = 0; c < cout; c++) {
            b[c] = (float) (b[c] - shift[c]);
        }
        return Tensors.floats((bias == null ? node.getName() + "_bias" : bias.getName()) + "_corrected", new long[] {cout}, b);
    }

    private static void emitQdq(GraphBuilder g, String a, String[] names, String dqName) {
        g.add("QuantizeLinear", null, a + "_QuantizeLinear", List.of(a, names[0], names[1]), List.of(names[2]));
        g.add("DequantizeLinear", null, a + "_DequantizeLinear", List.of(names[2], names[0], names[1]), List.of(dqName));
    }

    /** int8 symmetric weights, per channel along {@code axis}; returns the dequantized value's name. */
    private static QuantizedWeight quantizeWeight(GraphBuilder g, TensorProto w, int axis, boolean perChannel) {
        float[] v = Tensors.toFloats(w);
        long[] dims = Tensors.dims(w);
        int channels = perChannel ? (int) dims[axis] : 1;
        int inner = 1;
        for (int d = axis + 1; d < dims.length; d++) {
            inner *= (int) dims[d];
        }
        float[] scale = new float[channels];
        for (int i = 0; i < v.length; i++) {
            int c = perChannel ? (i / inner) % channels : 0;
            scale[c] = Math.max(scale[c], Math.abs(v[i]));
        }
        for (int c = 0; c < channels; c++) {
            scale[c] = scale[c] == 0 ? 1f : scale[c] / 127f;
        }
        byte[] q = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            int c = perChannel ? (i / inner) % channels : 0;
            q[i] = (byte) Math.max(-127, Math.min(127, Math.round(v[i] / scale[c])));
        }
        String qn = g.addInitializer(Tensors.int8(w.getName() + "_quantized", dims, q));
        String sn = g.addInitializer(Tensors.floats(w.getName() + "_scale", perChannel ? new long[] {channels} : new long[0], scale));
        String zn = g.addInitializer(Tensors.int8(w.getName() + "_zero_point", perChannel ? new long[] {channels} : new long[0], new byte[channels]));
        String out = g.fresh(w.getName() + "_DequantizeLinear_Output");
        if (perChannel) {
            g.add("DequantizeLinear", null, w.getName() + "_DequantizeLinear", List.of(qn, sn, zn), List.of(out), GraphBuilder.intAttr("axis", axis));
        } else {
            g.add("DequantizeLinear", null, w.getName() + "_DequantizeLinear", List.of(qn, sn, zn), List.of(out));
        }
        float[] err = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            err[i] = q[i] * scale[perChannel ? (i / inner) % channels : 0] - v[i];
        }
        return new QuantizedWeight(out, scale, err);
    }

    /**
     * int32 bias with scale = activation scale x weight scale: one scale per output channel with per-channel weights
     * (DequantizeLinear's axis, opset 13), one scalar scale and zero point with per-tensor weights, the only form that
     * DequantizeLinear takes before opset 13.
     */
    static String quantizeBias(GraphBuilder g, TensorProto b, float xScale, float[] wScale) {
        float[] v = Tensors.toFloats(b);
        boolean perChannel = wScale.length > 1;
        int channels = perChannel ? v.length : 1;
        float[] scale = new float[channels];
        for (int c = 0; c < channels; c++) {
            scale[c] = xScale * wScale[c];
        }
        int[] q = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            q[i] = (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, Math.round((double) v[i] / scale[perChannel ? i : 0])));
        }
        long[] scaleDims = perChannel ? new long[] {channels} : new long[0];
        String qn = g.addInitializer(Tensors.int32(b.getName() + "_quantized", new long[] {v.length}, q));
        String sn = g.addInitializer(Tensors.floats(b.getName() + "_scale", scaleDims, scale));
        String zn = g.addInitializer(Tensors.int32(b.getName() + "_zero_point", scaleDims, new int[channels]));
        String out = g.fresh(b.getName() + "_DequantizeLinear_Output");
        if (perChannel) {
            g.add("DequantizeLinear", null, b.getName() + "_DequantizeLinear", List.of(qn, sn, zn), List.of(out), GraphBuilder.intAttr("axis", 0));
        } else {
            g.add("DequantizeLinear", null, b.getName() + "_DequantizeLinear", List.of(qn, sn, zn), List.of(out));
        }
        return out;
    }

    private static ModelSnapshot foldBatchNorm(ModelSnapshot m, TechniqueContext ctx) {
        boolean hasBn = m.graph().getNodeList().stream().anyMatch(n -> n.getOpType().equals("BatchNormalization"));
        if (!hasBn) {
            return m;
        }
        LayerFusion f = new LayerFusion();
        try {
            ModelSnapshot folded = f.apply(m, Params.defaults(f), ctx.withProgress(ctx.progress().slice(0, 0)));
            return folded.derive(folded.proto(), m.label());   // messages name the model, not the fusion step
        } catch (EdgeFitException e) {
            return m;
        }
    }

    /** Values that are float tensors: graph inputs of float type and outputs of nodes other than shape arithmetic. */
    private static Set<String> floatActivations(ModelSnapshot m) {
        Set<String> out = new HashSet<>();
        m.inputs().stream().filter(s -> s.dtype() == DType.FLOAT).forEach(s -> out.add(s.name()));
        Set<String> nonFloat = Set.of("Shape", "Size", "ArgMax", "ArgMin", "NonZero", "Cast", "Equal", "Greater", "Less", "Not", "And", "Or");
        for (NodeProto n : m.graph().getNodeList()) {
            if (!nonFloat.contains(n.getOpType())) {
                out.addAll(n.getOutputList());
            }
        }
        out.remove("");
        return out;
    }

    private static Set<String> csv(String s) {
        Set<String> out = new LinkedHashSet<>();
        Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty()).forEach(out::add);
        return out;
    }
}
