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
                ParamSpec.integer("samples", 64, 1, 10_000, "Samples measured for each layer and precision."));
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
        List<NodeProto> layers = input.graph().getNodeList().stream().filter(n -> eligible(n, inits)).toList();
        if (layers.isEmpty()) {
            throw new EdgeFitException(EdgeFitException.Kind.NOT_APPLICABLE, input.label()
                    + ": no MatMul/Gemm layer with a float 2-D weight, so there is no precision to choose per layer.");
        }
        Progress progress = ctx.progress();
        Probe probe = new Probe(input, ctx.data(), ctx.inputs(), params.getInt("samples"));
        double base = probe.score(input);
        Map<String, Map<Precision, Double>> drop = new LinkedHashMap<>();
        int total = layers.size() * candidates.size();
        int done = 0;
        for (NodeProto layer : layers) {
            Map<Precision, Double> row = new EnumMap<>(Precision.class);
            for (Precision p : candidates) {
                progress.checkCancelled();
                progress.update(0.9 * done++ / total, "Sensitivity: " + layer.getName() + " at " + p.label());
                ModelSnapshot one = applyPlan(input, Map.of(p, List.of(layer.getName())), ctx);
                row.put(p, base - probe.score(one));
            }
            drop.put(layer.getName(), row);
        }

        // greedy assignment: every move lowers one layer's precision; cheapest loss per byte saved first
        Map<String, Precision> chosen = new LinkedHashMap<>();
        layers.forEach(l -> chosen.put(l.getName(), Precision.FP32));
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
        long goal = (long) (floatBytes * params.getDouble("size-ratio"));
        double spent = 0;
        long bytes = floatBytes;
        while (true) {
            String bestLayer = null;
            Precision bestP = null;
            double bestCost = Double.MAX_VALUE;
            long bestSaved = 0;
            double bestDelta = 0;
            for (NodeProto l : layers) {
                String name = l.getName();
                long[] d = kn.get(name);
                Precision cur = chosen.get(name);
                for (Precision p : candidates) {
                    long saved = cur.bytes(d[0], d[1]) - p.bytes(d[0], d[1]);
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
                        bestLayer = name;
                        bestP = p;
                        bestSaved = saved;
                        bestDelta = delta;
                    }
                }
            }
            if (bestLayer == null || (bySize && bytes <= goal)) {
                break;
            }
            chosen.put(bestLayer, bestP);
            spent += Math.max(0, bestDelta);
            bytes -= bestSaved;
        }

        List<Sensitivity> table = new ArrayList<>();
        for (NodeProto l : layers) {
            Map<String, Double> row = new LinkedHashMap<>();
            drop.get(l.getName()).forEach((p, v) -> row.put(p.label(), v));
            long[] d = kn.get(l.getName());
            table.add(new Sensitivity(l.getName(), l.getOpType(), d[0] * d[1], row, chosen.get(l.getName()).label()));
        }
        ctx.details().put("sensitivity", table);
        ctx.details().put("sensitivityMetric", probe.labelled() ? "accuracy drop (fraction)" : "mean cosine drop");
        ctx.details().put("baseScore", base);
        ctx.details().put("predictedDrop", spent);
        ctx.details().put("layerWeightBytes", Map.of("float32", floatBytes, "chosen", bytes));
        if (bySize) {
            ctx.details().put("sizeGoalReached", bytes <= goal);
        }

        Map<Precision, List<String>> plan = new EnumMap<>(Precision.class);
        chosen.forEach((layer, p) -> {
            if (p != Precision.FP32) {
                plan.computeIfAbsent(p, k -> new ArrayList<>()).add(layer);
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
        TechniqueContext quiet = ctx.withProgress(ctx.progress().slice(0, 0));
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
                try (OrtRunner r = OrtRunner.inMemory(model, RunnerOptions.DEFAULT)) {
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
            try (OrtRunner r = OrtRunner.inMemory(m, RunnerOptions.DEFAULT)) {
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
