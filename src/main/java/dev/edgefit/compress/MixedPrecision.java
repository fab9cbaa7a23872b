package dev.edgefit.compress;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.edgefit.common.EdgeFitException;
import dev.edgefit.common.Progress;
import dev.edgefit.data.Dataset;
import dev.edgefit.eval.EvalConfig;
import dev.edgefit.eval.Evaluator;
import dev.edgefit.eval.Fidelity;
import dev.edgefit.model.DType;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.Nodes;
import dev.edgefit.model.Tensors;
import dev.edgefit.runtime.OrtRunner;
import dev.edgefit.runtime.RunnerOptions;
import dev.edgefit.runtime.Tensor;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Mixed precision: measures how much each MatMul/Gemm layer alone loses at each candidate precision (its
 * sensitivity: accuracy on the labelled data, or without labels the mean cosine to the float model's outputs),
 * then gives each layer a precision so that the model meets the user's budget, cheapest loss per byte saved
 * first. The sensitivity table is kept with the step; the assembled model is measured like any other step.
 */
public final class MixedPrecision implements Technique {
    public static final String ID = "mixed-precision";
    static final int AUTO_SAMPLES_SMALL = 64;
    static final int AUTO_SAMPLES_LARGE = 16;
    static final long LARGE_MODEL_WEIGHTS = 4_000_000;

    /** Candidate precisions, with the technique that produces each one. */
    public enum Precision {
        FP32, FP16, INT8, INT4;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** Bytes of a [K, N] weight stored at this precision, scales included. */
        long bytes(long k, long n) {
            return switch (this) {
                case FP32 -> 4 * k * n;
                case FP16 -> 2 * k * n;
                case INT8 -> k * n + 4 * n;
                case INT4 -> (k + 31) / 32 * 32 * n / 2 + 4 * n * ((k + 31) / 32);
            };
        }
    }

    /** One row of the sensitivity table. */
    public record Sensitivity(String layer, String opType, long parameters, Map<String, Double> dropByPrecision, String chosen) {
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String displayName() {
        return "mixed precision (per-layer sensitivity)";
    }

    @Override
    public String description() {
        return "Measures each MatMul/Gemm layer's loss at fp16, int8 and int4, then assigns a precision per layer to meet "
                + "an accuracy or size budget. The sensitivity table is kept with the step.";
    }

    @Override
    public List<ParamSpec> params() {
        return List.of(
                ParamSpec.choice("target", "accuracy", List.of("accuracy", "size"),
                        "accuracy: save as many bytes as the allowed loss permits; size: reach the size goal losing as little as possible."),
                ParamSpec.decimal("max-drop", 0.01, 0, 1, "For target=accuracy: the largest summed per-layer loss allowed (accuracy fraction or cosine)."),
                ParamSpec.decimal("size-ratio", 0.3, 0.05, 1, "For target=size: the layers' weight bytes as a fraction of float32."),
                ParamSpec.text("precisions", "fp16,int8,int4", "Candidate precisions, comma separated (fp16, int8, int4)."),
                ParamSpec.integer("samples", 0, 0, 10_000, "Samples measured for each layer and precision; 0 picks "
                        + AUTO_SAMPLES_SMALL + " for models whose layers hold under " + LARGE_MODEL_WEIGHTS / 1_000_000 + "M weights, "
                        + AUTO_SAMPLES_LARGE + " above (each measurement loads the whole model in ONNX Runtime)."),
                ParamSpec.integer("groups", 12, 0, 10_000, "Measure the layers in at most this many groups of consecutive layers "
                        + "(a group's layers share one precision); 0 measures every layer alone. Fewer groups, fewer measurements."));
    }

    @Override
    public ModelSnapshot apply(ModelSnapshot input, Params params, TechniqueContext ctx) {
        List<Precision> candidates = new ArrayList<>();
        for (String p : params.getString("precisions").split(",")) {
            String t = p.trim().toUpperCase(Locale.ROOT);
            if (t.isEmpty()) {
                continue;
            }
            try {
                Precision pr = Precision.valueOf(t);
                if (pr != Precision.FP32) {
                    candidates.add(pr);
                }
            } catch (IllegalArgumentException e) {
                throw EdgeFitException.badParameter("Parameter 'precisions' of technique '" + ID + "' takes fp16, int8 and int4, not '" + p.trim() + "'.");
            }
        }
        if (candidates.isEmpty()) {
            throw EdgeFitException.badParameter("Parameter 'precisions' of technique '" + ID + "' names no precision below fp32.");
        }
        Map<String, TensorProto> inits = input.initializers();
        QuantizedParts parts = QuantizedParts.of(input);
        List<NodeProto> layers = input.graph().getNodeList().stream().filter(n -> eligible(n, inits) && !parts.isQuantizationNode(n)).toList();
        if (layers.isEmpty()) {
            if (parts.any()) {
                throw parts.refusal(input, ID, "the precision of MatMul/Gemm layers with a float 2-D weight");
            }
            boolean inSubgraphs = input.graph().getNodeList().stream().anyMatch(n -> !Subgraphs.of(n).isEmpty());
            throw new EdgeFitException(EdgeFitException.Kind.NOT_APPLICABLE, input.label()
                    + ": no MatMul/Gemm layer with a float 2-D weight" + (inSubgraphs ? " in the main graph (mixed precision does not measure "
                    + "layers inside If/Loop/Scan subgraphs; int8-dynamic and int4 quantize them)" : "")
                    + ", so there is no precision to choose per layer.");
        }
        Progress progress = ctx.progress();
        long layerWeights = 0;
        for (NodeProto l : layers) {
            layerWeights += Tensors.elementCount(inits.get(l.getInput(1)));
        }
        int samples = params.getInt("samples") > 0 ? params.getInt("samples")
                : layerWeights >= LARGE_MODEL_WEIGHTS ? AUTO_SAMPLES_LARGE : AUTO_SAMPLES_SMALL;
        List<List<NodeProto>> groups = groups(layers, params.getInt("groups"));
        progress.update(0, "Sensitivity: reading the float model's outputs on " + samples + " inputs");
        Probe probe = new Probe(input, ctx.data(), ctx.inputs(), samples);
        double base = probe.score(input);
        Map<String, Map<Precision, Double>> drop = new LinkedHashMap<>();
        Map<String, List<String>> members = new LinkedHashMap<>();
        int total = groups.size() * candidates.size();
        int done = 0;
        for (List<NodeProto> group : groups) {
            String name = groupName(group);
            List<String> names = group.stream().map(NodeProto::getName).toList();
            Map<Precision, Double> row = new EnumMap<>(Precision.class);
            for (Precision p : candidates) {
                progress.checkCancelled();
                progress.update(0.05 + 0.85 * done / total, String.format(Locale.ROOT, "Sensitivity %d/%d (%s): %s", done + 1, total, p.label(), name));
                done++;
                ModelSnapshot one = applyPlan(input, Map.of(p, names), ctx);
                row.put(p, base - probe.score(one));
            }
            drop.put(name, row);
            members.put(name, names);
        }

        // greedy assignment: every move lowers one group's precision; cheapest loss per byte saved first
        Map<String, Precision> chosen = new LinkedHashMap<>();
        members.keySet().forEach(g -> chosen.put(g, Precision.FP32));
        boolean bySize = params.getString("target").equals("size");
        double maxDrop = params.getDouble("max-drop");
        long floatBytes = 0;
        Map<String, long[]> kn = new LinkedHashMap<>();
        for (NodeProto l : layers) {
            long[] d = Tensors.dims(inits.get(l.getInput(1)));
            if (Nodes.intAttr(l, "transB", 0) == 1) {
                d = new long[] {d[1], d[0]};   // Gemm stores [N, K]
            }
            kn.put(l.getName(), d);
            floatBytes += Precision.FP32.bytes(d[0], d[1]);
        }
        Map<String, EnumMap<Precision, Long>> groupBytes = new LinkedHashMap<>();
        members.forEach((g, names) -> {
            EnumMap<Precision, Long> b = new EnumMap<>(Precision.class);
            for (Precision p : Precision.values()) {
                b.put(p, names.stream().mapToLong(n -> p.bytes(kn.get(n)[0], kn.get(n)[1])).sum());
            }
            groupBytes.put(g, b);
        });
        long goal = (long) (floatBytes * params.getDouble("size-ratio"));
        double spent = 0;
        long bytes = floatBytes;
        while (true) {
            String bestGroup = null;
            Precision bestP = null;
            double bestCost = Double.MAX_VALUE;
            long bestSaved = 0;
            double bestDelta = 0;
            for (String name : members.keySet()) {
                Precision cur = chosen.get(name);
                for (Precision p : candidates) {
                    long saved = groupBytes.get(name).get(cur) - groupBytes.get(name).get(p);
                    if (saved <= 0) {
                        continue;
                    }
                    double delta = drop.get(name).get(p) - (cur == Precision.FP32 ? 0 : drop.get(name).get(cur));
                    if (!bySize && spent + Math.max(0, delta) > maxDrop) {
                        continue;
                    }
                    double cost = Math.max(delta, 1e-9) / saved;
                    if (cost < bestCost) {
                        bestCost = cost;
                        bestGroup = name;
                        bestP = p;
                        bestSaved = saved;
                        bestDelta = delta;
                    }
                }
            }
            if (bestGroup == null || (bySize && bytes <= goal)) {
                break;
            }
            chosen.put(bestGroup, bestP);
            spent += Math.max(0, bestDelta);
            bytes -= bestSaved;
        }

        List<Sensitivity> table = new ArrayList<>();
        for (List<NodeProto> group : groups) {
            String name = groupName(group);
            Map<String, Double> row = new LinkedHashMap<>();
            drop.get(name).forEach((p, v) -> row.put(p.label(), v));
            long params0 = members.get(name).stream().mapToLong(n -> kn.get(n)[0] * kn.get(n)[1]).sum();
            String op = group.stream().map(NodeProto::getOpType).distinct().reduce((a, b) -> a + "/" + b).orElse("");
            table.add(new Sensitivity(name, op, params0, row, chosen.get(name).label()));
        }
        ctx.details().put("sensitivityGroups", members);
        ctx.details().put("sensitivitySamples", samples);
        ctx.details().put("sensitivity", table);
        ctx.details().put("sensitivityMetric", probe.labelled() ? "accuracy drop (fraction)" : "mean cosine drop");
        ctx.details().put("baseScore", base);
        ctx.details().put("predictedDrop", spent);
        ctx.details().put("layerWeightBytes", Map.of("float32", floatBytes, "chosen", bytes));
        if (bySize) {
            ctx.details().put("sizeGoalReached", bytes <= goal);
        }

        Map<Precision, List<String>> plan = new EnumMap<>(Precision.class);
        chosen.forEach((group, p) -> {
            if (p != Precision.FP32) {
                plan.computeIfAbsent(p, k -> new ArrayList<>()).addAll(members.get(group));
            }
        });
        if (plan.isEmpty()) {
            throw new EdgeFitException(EdgeFitException.Kind.CONSTRAINT, input.label() + ": no layer can go below fp32 within a loss of "
                    + maxDrop + "; every candidate precision costs more (see the sensitivity table).");
        }
        progress.update(1.0, "Assigned " + plan);
        ModelSnapshot out = applyPlan(input, plan, ctx);
        return out.derive(out.proto(), ID);
    }

    /** Layers in graph order cut into at most {@code max} runs of consecutive layers of near-equal length (0: one per layer). */
    static List<List<NodeProto>> groups(List<NodeProto> layers, int max) {
        int n = layers.size();
        int count = max <= 0 ? n : Math.min(n, max);
        List<List<NodeProto>> out = new ArrayList<>();
        for (int g = 0; g < count; g++) {
            out.add(layers.subList(g * n / count, (g + 1) * n / count));
        }
        return out;
    }

    /** A layer's name, or for a group "first … last (k layers)". */
    static String groupName(List<NodeProto> group) {
        if (group.size() == 1) {
            return group.get(0).getName();
        }
        return group.get(0).getName() + " \u2026 " + group.get(group.size() - 1).getName() + " (" + group.size() + " layers)";
    }

    private static boolean eligible(NodeProto n, Map<String, TensorProto> inits) {
        if (!(n.getOpType().equals("MatMul") || (n.getOpType().equals("Gemm") && Nodes.intAttr(n, "transA", 0) == 0
                && Nodes.floatAttr(n, "alpha", 1f) == 1f && Nodes.floatAttr(n, "beta", 1f) == 1f)) || n.getInputCount() < 2) {
            return false;
        }
        TensorProto w = inits.get(n.getInput(1));
        return w != null && Tensors.dtype(w) == DType.FLOAT && w.getDimsCount() == 2;
    }

    /** Applies int4, then int8, then fp16, each to its own layers only. */
    private static ModelSnapshot applyPlan(ModelSnapshot input, Map<Precision, List<String>> plan, TechniqueContext ctx) {
        ModelSnapshot m = input;
        // a context of its own: the techniques' details (e.g. int8 noting the int4 layers it left alone) are not this step's
        TechniqueContext quiet = new TechniqueContext(ctx.progress().slice(0, 0), ctx.data());
        for (Precision p : List.of(Precision.INT4, Precision.INT8, Precision.FP16)) {
            List<String> names = plan.get(p);
            if (names == null || names.isEmpty()) {
                continue;
            }
            Technique t = switch (p) {
                case INT4 -> new Int4WeightOnly();
                case INT8 -> new Int8Dynamic();
                default -> new Fp16();
            };
            Map<String, Object> values = new LinkedHashMap<>();
            values.put(LayerFilter.PARAM, String.join(",", names));
            if (p == Precision.INT8) {
                values.put("embeddings", false);
            }
            if (p == Precision.FP16) {
                values.put("min-elements", 0);
            }
            m = t.apply(m, Params.of(t, values), quiet);
        }
        return m;
    }

    /**
     * Sessions for sensitivity: basic graph optimisations only. Loading MiniLM (90 MB) with every optimisation took 7.3 s
     * here against 2.9 s with the basic ones; the assembled model is then measured with the user's settings, as every step is.
     */
    static final RunnerOptions PROBE = new RunnerOptions(0, RunnerOptions.OptLevel.BASIC);

    /** Scores a snapshot in memory: accuracy on labelled data, else mean cosine to the float model's outputs. */
    private static final class Probe {
        private final List<Map<String, Tensor>> inputs;
        private final Dataset data;
        private final int n;
        private final List<float[]> reference = new ArrayList<>();
        private final List<Integer> rowLength = new ArrayList<>();

        Probe(ModelSnapshot model, Dataset data, dev.edgefit.data.InputOverrides fixed, int samples) {
            this.data = data != null && data.labelled() ? data : null;
            this.inputs = new Evaluator.Inputs(model, EvalConfig.defaults().withData(data).withInputs(fixed)).samples(samples);
            this.n = inputs.size();
            if (this.data == null) {
                try (OrtRunner r = OrtRunner.inMemory(model, PROBE)) {
                    for (Map<String, Tensor> in : inputs) {
                        Tensor out = r.run(in).values().iterator().next();
                        long[] s = out.shape();
                        reference.add(out.floats().clone());
                        rowLength.add(s.length == 0 ? 1 : (int) s[s.length - 1]);
                    }
                }
            }
        }

        boolean labelled() {
            return data != null;
        }

        double score(ModelSnapshot m) {
            try (OrtRunner r = OrtRunner.inMemory(m, PROBE)) {
                if (data != null) {
                    int correct = 0;
                    for (int i = 0; i < n; i++) {
                        float[] logits = r.run(inputs.get(i)).values().iterator().next().floats();
                        int arg = 0;
                        for (int c = 1; c < logits.length; c++) {
                            if (logits[c] > logits[arg]) {
                                arg = c;
                            }
                        }
                        if (arg == data.label(i)) {
                            correct++;
                        }
                    }
                    return (double) correct / n;
                }
                Fidelity.Accumulator acc = new Fidelity.Accumulator();
                for (int i = 0; i < n; i++) {
                    acc.add(r.run(inputs.get(i)).values().iterator().next().floats(), reference.get(i), rowLength.get(i));
                }
                Fidelity f = acc.result();
                // no cosine where it means nothing (one value per inference, a near-zero output): 1 - relative L2 error instead
                return f.meanCosine() != null ? f.meanCosine() : 1 - Math.min(1, f.relL2());
            }
        }
    }
}
