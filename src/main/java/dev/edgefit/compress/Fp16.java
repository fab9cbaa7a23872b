package dev.edgefit.compress;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import dev.edgefit.common.EdgeFitException;
import dev.edgefit.data.InputGenerator;
import dev.edgefit.model.DType;
import dev.edgefit.model.Half;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.Tensors;
import dev.edgefit.runtime.OrtRunner;
import dev.edgefit.runtime.RunnerOptions;
import dev.edgefit.runtime.ShapeProbe;
import dev.edgefit.runtime.Tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * float16, in one of two modes.
 * <ul>
 * <li>{@code weights}: every float32 weight initializer is stored as float16 and a Cast node turns it back into
 * float32 as the graph starts, so every CPU runtime runs the model unchanged. The file halves; ONNX Runtime folds
 * the Casts when it loads the model, so memory at run time and the arithmetic stay float32.</li>
 * <li>{@code graph}: the whole graph in float16, as onnxconverter-common's float16 converter does with
 * keep_io_types: float32 initializers become float16, every float value is float16, a Cast after each float graph
 * input and before each float graph output keeps the model's signature float32, and operators whose float16 form
 * the ONNX specification does not define (or inputs it requires in float32, such as Resize's scales) stay float32
 * with Casts around them. The result is checked by loading and running it once in ONNX Runtime here.</li>
 * </ul>
 */
public final class Fp16 implements Technique {
    public static final String ID = "fp16";
    static final String WEIGHTS = "weights";
    static final String GRAPH = "graph";

    /**
     * Operators that stay float32 in graph mode: no float16 in their type constraints (Range, NonMaxSuppression),
     * float32-only scales before opset 19 (the quantization operators), or an element type set by an attribute
     * (random generators, EyeLike). Nodes of other domains and nodes with subgraphs are handled apart.
     */
    static final Set<String> FLOAT32_OPS = Set.of("Range", "NonMaxSuppression", "RandomNormal", "RandomUniform",
            "RandomNormalLike", "RandomUniformLike", "Multinomial", "Bernoulli", "EyeLike", "QuantizeLinear",
            "DequantizeLinear", "DynamicQuantizeLinear", "QLinearConv", "QLinearMatMul", "MatMulInteger", "ConvInteger",
            "STFT", "MelWeightMatrix", "DFT", "BlackmanWindow", "HannWindow", "HammingWindow");

    /** Float inputs that the specification types as float32 whatever the data's type (by input index). */
    static final Map<String, Set<Integer>> FLOAT32_INPUTS = Map.of("Resize", Set.of(1, 2), "Upsample", Set.of(1));

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String displayName() {
        return "float16 (weights or whole graph)";
    }

    @Override
    public String description() {
        return "mode=weights stores float32 weights as float16 with a Cast back to float32: half the file size, float32 arithmetic "
                + "(ONNX Runtime folds the Casts at load time). mode=graph runs the whole graph in float16 with float32 inputs and "
                + "outputs, for GPUs and NPUs with float16 arithmetic.";
    }

    @Override
    public List<ParamSpec> params() {
        return List.of(
                ParamSpec.choice("mode", WEIGHTS, List.of(WEIGHTS, GRAPH), "weights: float16 storage with a Cast back to float32 "
                        + "(every runtime, float32 arithmetic); graph: every float value in float16, float32 inputs and outputs "
                        + "(for GPUs and NPUs with float16 arithmetic)."),
                ParamSpec.integer("min-elements", 16, 0, 1 << 30,
                        "mode=weights: leave weights with fewer elements than this in float32 (scalars and tiny vectors gain nothing)."),
                LayerFilter.spec());
    }

    @Override
    public ModelSnapshot apply(ModelSnapshot input, Params params, TechniqueContext ctx) {
        QuantizedParts parts = QuantizedParts.of(input);
        ModelSnapshot out;
        if (params.getString("mode").equals(GRAPH)) {
            out = new GraphConversion(input, LayerFilter.of(params), ctx, parts).run();
        } else {
            try {
                // each weight becomes float16 in the graph that holds it; subgraphs read the float32 Cast of an outer one
                out = Subgraphs.rewrite(input, ID, false, ctx.progress(), (scope, p) -> weights(scope, params, ctx.withProgress(p)));
            } catch (EdgeFitException e) {
                if (e.kind() == EdgeFitException.Kind.NOT_APPLICABLE && parts.any()) {
                    throw parts.refusal(input, ID + " (mode=weights)", "float32 weights outside the quantized layers");
                }
                if (e.kind() == EdgeFitException.Kind.NOT_APPLICABLE) {
                    throw new EdgeFitException(e.kind(), input.label() + ": no float32 weight with at least " + params.getInt("min-elements")
                            + " elements to store as float16.");
                }
                throw e;
            }
        }
        parts.record(ctx);
        return out;
    }

    /** Weights mode on one graph (the main graph or a subgraph). */
    private static ModelSnapshot weights(ModelSnapshot input, Params params, TechniqueContext ctx) {
        long min = params.getInt("min-elements");
        LayerFilter layers = LayerFilter.of(params);
        QuantizedParts parts = QuantizedParts.of(input);
        Set<String> selected = new HashSet<>();
        for (NodeProto n : input.graph().getNodeList()) {
            if (layers.accepts(n) && !parts.isQuantizationNode(n)) {
                selected.addAll(Subgraphs.reads(n));
            }
        }
        GraphBuilder g = new GraphBuilder(input);
        int converted = 0;
        int kept = 0;
        List<TensorProto> inits = List.copyOf(input.initializers().values());
        int i = 0;
        for (TensorProto t : inits) {
            ctx.progress().checkCancelled();
            if ((++i & 15) == 0) {
                ctx.progress().update((double) i / inits.size(), "Converting " + t.getName());
            }
            if (Tensors.dtype(t) != DType.FLOAT || Tensors.elementCount(t) < Math.max(1, min) || !selected.contains(t.getName())
                    || parts.isProtected(t.getName())) {
                continue;
            }
            if (!fitsHalf(t)) {
                kept++;
                continue;
            }
            String half = g.addInitializer(toHalf(t, t.getName() + "_fp16"));
            g.removeInitializer(t.getName());
            g.add("Cast", null, t.getName() + "_to_fp32", List.of(half), List.of(t.getName()),
                    GraphBuilder.intAttr("to", DType.FLOAT.onnxCode()));
            converted++;
        }
        if (converted == 0) {
            throw new EdgeFitException(EdgeFitException.Kind.NOT_APPLICABLE, input.label() + ": no float32 weight to store as float16.");
        }
        for (NodeProto n : input.graph().getNodeList()) {
            g.keep(n);
        }
        ctx.progress().update(1.0, "Stored " + converted + " weights as float16" + (kept == 0 ? ""
                : "; " + kept + " kept in float32, whose values float16 cannot hold"));
        return g.build(ID);
    }

    /**
     * Whether float16 can hold a float32 tensor: no finite value beyond ±65504, and not a tensor whose values are all
     * below float16's normal range (2^-14) but not all zero. An attention mask's -3.4e38 would become -infinity (and
     * 0 x -infinity is NaN) and a LayerNorm epsilon of 1e-12 would become 0; such tensors (usually scalars) stay float32
     * in weights mode. A few tiny values in a large weight table round to zero harmlessly and do not count.
     */
    static boolean fitsHalf(TensorProto t) {
        float largest = 0;
        for (float f : Tensors.toFloats(t)) {
            float a = Math.abs(f);
            if (Float.isFinite(f) && a > 65504f) {
                return false;
            }
            largest = Float.isFinite(a) ? Math.max(largest, a) : largest;
        }
        return largest == 0 || largest >= 0x1.0p-14f;
    }

    /** A float32 tensor's values rounded to float16 (round to nearest even), under a new name. */
    static TensorProto toHalf(TensorProto t, String name) {
        return toHalf(t, name, null);
    }

    /**
     * As above; with {@code clamped} (graph mode), values are first brought into the range where float16 arithmetic stays
     * finite, as onnxconverter-common does: magnitudes above {@value #MAX_FINITE} become {@value #MAX_FINITE} (an attention
     * mask's -3.4e38 would be -infinity, and 0 x -infinity is NaN) and non-zero magnitudes below {@value #MIN_POSITIVE}
     * become {@value #MIN_POSITIVE} (a LayerNorm epsilon of 1e-12 would be 0). {@code clamped[0]} counts the changes.
     */
    static TensorProto toHalf(TensorProto t, String name, int[] clamped) {
        float[] v = Tensors.toFloats(t);
        ByteBuffer b = ByteBuffer.allocate(v.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            if (clamped != null && Float.isFinite(f)) {
                float a = Math.abs(f);
                if (a > MAX_FINITE) {
                    f = Math.copySign(MAX_FINITE, f);
                    clamped[0]++;
                } else if (a > 0 && a < MIN_POSITIVE) {
                    f = Math.copySign(MIN_POSITIVE, f);
                    clamped[0]++;
                }
            }
            b.putShort(Half.fromFloat(f));
        }
        return Tensors.raw(name, DType.FLOAT16, Tensors.dims(t), b.array());
    }

    /** Graph mode's largest constant magnitude (onnxconverter-common's max_finite_val). */
    static final float MAX_FINITE = 1e4f;
    /** Graph mode's smallest non-zero constant magnitude (onnxconverter-common's min_positive_val). */
    static final float MIN_POSITIVE = 1e-7f;

    /**
     * The whole-graph conversion. Every float value gets a float16 name (its own, or a Cast's output) and a float32
     * name where something needs it; Casts are placed just before the first node that needs the other precision,
     * so the node order stays topological.
     */
    private static final class GraphConversion {
        private final ModelSnapshot input;
        private final LayerFilter layers;
        private final TechniqueContext ctx;
        private final QuantizedParts parts;
        private final GraphBuilder g;
        private final Map<String, DType> types;
        private final Map<String, String> half = new HashMap<>();
        private final Map<String, String> full = new HashMap<>();
        /** Element types of the values in the converted graph, for naming operators ONNX Runtime lacks kernels for. */
        private final Map<String, DType> outTypes = new HashMap<>();
        private final List<NodeProto> halfNodes = new ArrayList<>();
        private final int[] clamped = new int[1];
        private int float32Nodes;
        private int casts;

        GraphConversion(ModelSnapshot input, LayerFilter layers, TechniqueContext ctx, QuantizedParts parts) {
            this.input = input;
            this.parts = parts;
            this.layers = layers;
            this.ctx = ctx;
            this.g = new GraphBuilder(input);
            for (NodeProto n : input.graph().getNodeList()) {
                if (n.getAttributeList().stream().anyMatch(a -> a.hasG() || a.getGraphsCount() > 0)) {
                    throw new EdgeFitException(EdgeFitException.Kind.NOT_APPLICABLE, input.label() + ": node '" + n.getName() + "' ("
                            + n.getOpType() + ") has a subgraph, which whole-graph float16 conversion does not handle; use mode=weights.");
                }
            }
            ctx.progress().update(0.05, "Reading the element type of every value");
            this.types = ShapeProbe.elementTypes(input);
            types.forEach((k, v) -> {
                if (v != DType.FLOAT) {
                    outTypes.put(k, v);
                }
            });
        }

        ModelSnapshot run() {
            List<NodeProto> nodes = input.graph().getNodeList();
            Set<String> graphOutputs = new HashSet<>();
            input.graph().getOutputList().forEach(o -> graphOutputs.add(o.getName()));
            Map<String, TensorProto> inits = input.initializers();
            boolean[] inHalf = new boolean[nodes.size()];
            Set<String> halfInits = new HashSet<>();
            for (int i = 0; i < nodes.size(); i++) {
                NodeProto n = nodes.get(i);
                inHalf[i] = inHalf(n);
                for (int k = 0; inHalf[i] && k < n.getInputCount(); k++) {
                    String x = n.getInput(k);
                    if (inits.containsKey(x) && isFloat(x) && !float32Input(n, k) && !parts.isProtected(x)) {
                        halfInits.add(x);
                    }
                }
            }
            if (halfInits.isEmpty() && java.util.stream.IntStream.range(0, nodes.size()).noneMatch(i -> inHalf[i] && touchesFloat(nodes.get(i)))) {
                throw new EdgeFitException(EdgeFitException.Kind.NOT_APPLICABLE, input.label()
                        + ": no node with float32 values that can compute in float16.");
            }
            int weights = 0;
            for (Map.Entry<String, TensorProto> e : inits.entrySet()) {
                String name = e.getKey();
                if (!isFloat(name)) {
                    continue;
                }
                if (halfInits.contains(name)) {
                    String h = g.addInitializer(toHalf(e.getValue(), name + "_fp16", clamped));
                    g.removeInitializer(name);
                    half.put(name, h);
                    outTypes.put(h, DType.FLOAT16);
                    weights++;
                } else {
                    full.put(name, name);
                    outTypes.put(name, DType.FLOAT);
                }
            }
            for (var s : input.inputs()) {
                if (s.dtype() == DType.FLOAT) {
                    full.put(s.name(), s.name());
                    outTypes.put(s.name(), DType.FLOAT);
                }
            }
            for (int i = 0; i < nodes.size(); i++) {
                ctx.progress().checkCancelled();
                if ((i & 31) == 0) {
                    ctx.progress().update(0.1 + 0.5 * i / nodes.size(), "Converting " + nodes.get(i).getName());
                }
                emit(nodes.get(i), inHalf[i], graphOutputs);
            }
            ModelSnapshot built = g.build(ID);
            ModelSnapshot out = built.derive(withValueInfo(built.proto()), ID);
            ctx.progress().update(0.7, "Checking that ONNX Runtime runs the float16 graph");
            checkRuns(out);
            ctx.progress().update(0.85, "Reading how ONNX Runtime runs the float16 graph here");
            Here here = here(out);
            int floatNodes = halfNodes.size() + float32Nodes;
            String summary = input.label() + ": " + halfNodes.size() + " of " + floatNodes + " nodes with float values in float16 ("
                    + weights + " weights" + (clamped[0] == 0 ? "" : ", " + clamped[0] + " constants clamped to +-1e4 or +-1e-7")
                    + ", " + casts + (casts == 1 ? " Cast" : " Casts") + " added); " + here.sentence();
            Map<String, Object> d = new java.util.LinkedHashMap<>();
            d.put("float16Nodes", halfNodes.size());
            d.put("float32Nodes", float32Nodes);
            d.put("clampedValues", clamped[0]);
            d.put("float16Weights", weights);
            d.put("castsAdded", casts);
            d.put("float16HereOps", List.copyOf(here.half()));
            d.put("float32HereOps", List.copyOf(here.full()));
            d.put("float32HereNodes", here.fullNodes());
            d.put("summary", summary);
            ctx.details().put("fp16Graph", d);
            ctx.progress().update(1.0, summary);
            return out;
        }

        /** How ONNX Runtime's CPU provider here runs the converted nodes: operator types in float16 and in float32. */
        record Here(Set<String> half, Set<String> full, int halfNodes, int fullNodes) {
            String sentence() {
                if (full.isEmpty()) {
                    return "ONNX Runtime here runs all of them in float16.";
                }
                return "ONNX Runtime here runs " + halfNodes + " of them in float16" + (half.isEmpty() ? "" : " (" + join(List.copyOf(half)) + ")")
                        + " and casts " + fullNodes + " back to float32 (" + join(List.copyOf(full))
                        + ") because its CPU provider has no float16 kernel for them.";
            }
        }

        /**
         * How ONNX Runtime prepares each converted operator type here, tried alone with float16 inputs: if it inserts
         * Casts (around the node, or around the nodes of the function it expands the node into), that operator runs in
         * float32 here.
         */
        private Here here(ModelSnapshot out) {
            Set<String> halfOps = new LinkedHashSet<>();
            Set<String> fullOps = new LinkedHashSet<>();
            for (NodeProto n : halfNodes) {
                String op = n.getOpType();
                // ONNX Runtime turns Constant nodes into initializers: they run nowhere
                if (op.equals("Cast") || op.equals("Constant") || halfOps.contains(op) || fullOps.contains(op)) {
                    continue;
                }
                ctx.progress().checkCancelled();
                ModelSnapshot prepared = OrtRunner.prepared(alone(out, n), RunnerOptions.OptLevel.NONE);
                boolean casts = prepared.graph().getNodeList().stream().anyMatch(p -> p.getOpType().equals("Cast"));
                (casts ? fullOps : halfOps).add(op);
            }
            int h = (int) halfNodes.stream().filter(n -> halfOps.contains(n.getOpType())).count();
            int f = (int) halfNodes.stream().filter(n -> fullOps.contains(n.getOpType())).count();
            return new Here(halfOps, fullOps, h, f);
        }

        private boolean isFloat(String v) {
            return types.get(v) == DType.FLOAT;
        }

        private boolean touchesFloat(NodeProto n) {
            return n.getInputList().stream().anyMatch(this::isFloat) || n.getOutputList().stream().anyMatch(this::isFloat);
        }

        private boolean inHalf(NodeProto n) {
            boolean defaultDomain = n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx");
            // quantized layers and the float arithmetic that rescales their integer results stay as they are
            return defaultDomain && layers.accepts(n) && !FLOAT32_OPS.contains(n.getOpType()) && !parts.isQuantizationNode(n)
                    && !(n.getOpType().equals("CumSum") && input.opset() < 14);
        }

        private static boolean float32Input(NodeProto n, int index) {
            return FLOAT32_INPUTS.getOrDefault(n.getOpType(), Set.of()).contains(index);
        }

        /** Outputs whose type the specification fixes apart from the data's (normalization statistics). */
        private static boolean float32Output(NodeProto n, int index) {
            return index > 0 && (n.getOpType().equals("LayerNormalization") || n.getOpType().equals("BatchNormalization"));
        }

        private void emit(NodeProto n, boolean toHalf, Set<String> graphOutputs) {
            NodeProto.Builder nb = n.toBuilder();
            for (int k = 0; k < n.getInputCount(); k++) {
                String x = n.getInput(k);
                if (!x.isEmpty() && isFloat(x)) {
                    nb.setInput(k, toHalf && !float32Input(n, k) ? halfName(x) : fullName(x));
                }
            }
            if (toHalf) {
                for (int a = 0; a < nb.getAttributeCount(); a++) {
                    nb.setAttribute(a, halfAttribute(n, nb.getAttribute(a)));
                }
            }
            List<String[]> outCasts = new ArrayList<>();
            for (int k = 0; k < n.getOutputCount(); k++) {
                String o = n.getOutput(k);
                if (o.isEmpty() || !isFloat(o)) {
                    continue;
                }
                if (toHalf && !float32Output(n, k)) {
                    if (graphOutputs.contains(o)) {
                        String h = g.fresh(o + "_fp16");
                        nb.setOutput(k, h);
                        half.put(o, h);
                        outCasts.add(new String[] {h, o});
                        outTypes.put(h, DType.FLOAT16);
                    } else {
                        half.put(o, o);
                        outTypes.put(o, DType.FLOAT16);
                    }
                } else {
                    full.put(o, o);
                    outTypes.put(o, DType.FLOAT);
                }
            }
            NodeProto converted = nb.build();
            g.keep(converted);
            if (toHalf && touchesFloat(n)) {
                halfNodes.add(converted);
            } else if (touchesFloat(n)) {
                float32Nodes++;
            }
            for (String[] c : outCasts) {
                g.add("Cast", null, c[1] + "_to_fp32", List.of(c[0]), List.of(c[1]), GraphBuilder.intAttr("to", DType.FLOAT.onnxCode()));
                full.put(c[1], c[1]);
                casts++;
            }
        }

        /** The float16 name of a float value, adding a Cast from its float32 name the first time one is needed. */
        private String halfName(String v) {
            return castName(v, half, full, DType.FLOAT16, "fp16");
        }

        /** The float32 name of a float value, adding a Cast from its float16 name the first time one is needed. */
        private String fullName(String v) {
            return castName(v, full, half, DType.FLOAT, "fp32");
        }

        private String castName(String v, Map<String, String> names, Map<String, String> others, DType to, String suffix) {
            String n = names.get(v);
            if (n == null) {
                String from = others.getOrDefault(v, v);
                n = g.fresh(v + "_" + suffix);
                g.add("Cast", null, v + "_to_" + suffix, List.of(from), List.of(n), GraphBuilder.intAttr("to", to.onnxCode()));
                names.put(v, n);
                outTypes.put(n, to);
                casts++;
            }
            return n;
        }

        /** Attributes that set a float32 element type or hold a float32 constant, turned to float16. */
        private AttributeProto halfAttribute(NodeProto n, AttributeProto a) {
            String op = n.getOpType();
            if (op.equals("Cast") && a.getName().equals("to") && a.getI() == DType.FLOAT.onnxCode()) {
                return a.toBuilder().setI(DType.FLOAT16.onnxCode()).build();
            }
            if ((op.equals("Constant") || op.equals("ConstantOfShape")) && a.getName().equals("value") && a.hasT()
                    && a.getT().getDataType() == DType.FLOAT.onnxCode()) {
                return a.toBuilder().setT(toHalf(a.getT(), a.getT().getName(), clamped)).build();
            }
            if (op.equals("Constant") && (a.getName().equals("value_float") || a.getName().equals("value_floats"))) {
                boolean scalar = a.getName().equals("value_float");
                float[] v = scalar ? new float[] {a.getF()} : toArray(a.getFloatsList());
                TensorProto t = toHalf(Tensors.floats("", scalar ? new long[0] : new long[] {v.length}, v), "", clamped);
                return AttributeProto.newBuilder().setName("value").setType(AttributeProto.AttributeType.TENSOR).setT(t).build();
            }
            return a;
        }

        private static float[] toArray(List<Float> list) {
            float[] v = new float[list.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = list.get(i);
            }
            return v;
        }

        /** The graph's value_info entries of values that are now float16 say so. */
        private ModelProto withValueInfo(ModelProto m) {
            GraphProto.Builder gb = m.getGraph().toBuilder();
            for (int i = 0; i < gb.getValueInfoCount(); i++) {
                ValueInfoProto v = gb.getValueInfo(i);
                if (outTypes.get(v.getName()) == DType.FLOAT16 && v.getType().getTensorType().getElemType() == DType.FLOAT.onnxCode()) {
                    gb.setValueInfo(i, v.toBuilder().setType(v.getType().toBuilder().setTensorType(
                            v.getType().getTensorType().toBuilder().setElemType(DType.FLOAT16.onnxCode()))).build());
                }
            }
            return m.toBuilder().setGraph(gb).build();
        }

        /**
         * Loads the converted graph in ONNX Runtime and runs it once on generated inputs. When ONNX Runtime lacks a
         * float16 kernel, every converted operator type is tried alone to name all of those that lack one.
         */
        private void checkRuns(ModelSnapshot out) {
            Map<String, Tensor> sample = new InputGenerator(out, Map.of()).generate(0);
            Map<String, Tensor> got;
            try (OrtRunner r = OrtRunner.inMemory(out, RunnerOptions.DEFAULT)) {
                got = r.run(sample);
            } catch (EdgeFitException e) {
                if (e.kind() == EdgeFitException.Kind.CANCELLED) {
                    throw e;
                }
                List<String> missing = missingKernels(out);
                String why = missing.isEmpty() ? "it could not load or run it (" + oneLine(e.getMessage()) + ")"
                        : "it has no float16 kernel for " + join(missing);
                throw new EdgeFitException(EdgeFitException.Kind.NOT_APPLICABLE, input.label() + ": ONNX Runtime's CPU provider here cannot "
                        + "run the whole graph in float16, because " + why + "; use mode=weights, or run mode=graph on a GPU or NPU runtime with float16 support.", e);
            }
            List<String> broken = got.entrySet().stream().filter(e -> !finite(e.getValue())).map(Map.Entry::getKey).toList();
            if (!broken.isEmpty()) {
                try (OrtRunner r = OrtRunner.inMemory(input, RunnerOptions.DEFAULT)) {
                    Map<String, Tensor> ref = r.run(sample);
                    List<String> overflow = broken.stream().filter(k -> ref.containsKey(k) && finite(ref.get(k))).toList();
                    if (!overflow.isEmpty()) {
                        throw new EdgeFitException(EdgeFitException.Kind.NOT_APPLICABLE, input.label() + ": in float16 the whole graph gives "
                                + "NaN or infinite values in output " + join(overflow) + " on generated inputs where float32 gives finite ones, "
                                + "so float16's range is too small for it; use mode=weights.");
                    }
                }
            }
        }

        private static boolean finite(Tensor t) {
            if (!t.dtype().isFloatingPoint()) {
                return true;
            }
            for (float f : t.floats()) {
                if (!Float.isFinite(f)) {
                    return false;
                }
            }
            return true;
        }

        private List<String> missingKernels(ModelSnapshot out) {
            Set<String> tried = new LinkedHashSet<>();
            List<String> missing = new ArrayList<>();
            for (NodeProto n : halfNodes) {
                if (!tried.add(n.getOpType())) {
                    continue;
                }
                ctx.progress().checkCancelled();
                try (OrtRunner r = OrtRunner.inMemory(alone(out, n), new RunnerOptions(1, RunnerOptions.OptLevel.NONE))) {
                    r.inputs();
                } catch (EdgeFitException e) {
                    if (e.kind() == EdgeFitException.Kind.UNSUPPORTED_OPERATOR) {
                        missing.add(n.getOpType());
                    }
                }
            }
            return missing;
        }

        /** A model of one node: its initializers, its other inputs as typed graph inputs, its outputs. */
        private ModelSnapshot alone(ModelSnapshot out, NodeProto n) {
            GraphProto.Builder gb = GraphProto.newBuilder().setName(n.getOpType()).addNode(n);
            Set<String> seen = new HashSet<>();
            for (String x : n.getInputList()) {
                if (x.isEmpty() || !seen.add(x)) {
                    continue;
                }
                TensorProto t = out.initializers().get(x);
                if (t != null) {
                    gb.addInitializer(t);
                } else {
                    DType d = outTypes.getOrDefault(x, DType.FLOAT);
                    gb.addInput(ValueInfoProto.newBuilder().setName(x).setType(TypeProto.newBuilder()
                            .setTensorType(TypeProto.Tensor.newBuilder().setElemType(d.onnxCode()))));
                }
            }
            for (String o : n.getOutputList()) {
                if (!o.isEmpty()) {
                    gb.addOutput(ValueInfoProto.newBuilder().setName(o));
                }
            }
            return out.derive(out.proto().toBuilder().setGraph(gb).build(), out.label());
        }

        private static String join(List<String> ops) {
            if (ops.size() == 1) {
                return ops.get(0);
            }
            return String.join(", ", ops.subList(0, ops.size() - 1)) + " and " + ops.get(ops.size() - 1);
        }

        private static String oneLine(String s) {
            String t = s == null ? "" : s.replaceAll("\\s+", " ").trim();
            return t.endsWith(".") ? t.substring(0, t.length() - 1) : t;
        }
    }
}
