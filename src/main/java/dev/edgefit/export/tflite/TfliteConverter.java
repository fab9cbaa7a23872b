package dev.edgefit.export.tflite;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.edgefit.common.EdgeFitException;
import dev.edgefit.common.Progress;
import dev.edgefit.compress.ActivationRanges;
import dev.edgefit.data.InputGenerator;
import dev.edgefit.export.tflite.TfliteModelWriter.Quant;
import dev.edgefit.export.tflite.TfliteSchema.Op;
import dev.edgefit.model.DType;
import dev.edgefit.model.Half;
import dev.edgefit.model.Layouts;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.Nodes;
import dev.edgefit.model.OpsetUpgrader;
import dev.edgefit.model.TensorSpec;
import dev.edgefit.model.Tensors;
import dev.edgefit.runtime.OrtRunner;
import dev.edgefit.runtime.RunnerOptions;
import dev.edgefit.runtime.ShapeProbe;
import dev.edgefit.runtime.Tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Converts an ONNX graph into a TFLite model in TFLite's NHWC world. Every 4-D image tensor is stored NHWC; each ONNX
 * value remembers which ONNX axis each TFLite axis holds, so layout-sensitive operators remap their axes and a
 * TRANSPOSE is only emitted where data really has to move (a Transpose node costs nothing: it relabels axes).
 * Conv weights become OHWI (depthwise 1HWO), Gemm/MatMul weights [out, in]; BatchNormalization after a Conv is
 * folded into it; Relu/Relu6 after Conv, Gemm and Add are fused. A Flatten of an NHWC tensor that only feeds
 * Gemm/MatMul layers is a plain RESHAPE, and those layers' weight columns are permuted to the HWC order instead.
 * Values computable from constants and shapes alone are folded (their values come from one ONNX Runtime run).
 * Shapes are fixed at batch 1.
 */
public final class TfliteConverter {

    /** ONNX operators the converter handles (besides anything that folds to a constant). */
    public static final Set<String> SUPPORTED = Set.of("Conv", "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Relu", "Clip",
            "Sigmoid", "Tanh", "LeakyRelu", "HardSwish", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool",
            "BatchNormalization", "Flatten", "Reshape", "Transpose", "Squeeze", "Unsqueeze", "Concat", "Pad", "Softmax", "Resize",
            "Identity", "Dropout", "QuantizeLinear", "DequantizeLinear", "Slice", "Equal", "Cast", "HardSigmoid", "ReduceMean", "Pow", "Sqrt", "ConvTranspose");

    /**
     * @param int8Io      for INT8: int8 input and output tensors (true, as microcontrollers want), or float ones with
     *                    QUANTIZE/DEQUANTIZE inside the model (false)
     * @param calibration inputs for the activation ranges of INT8 (single samples, as the source model takes them)
     */
    public record Options(TflitePrecision precision, boolean int8Io, List<Map<String, Tensor>> calibration,
                          dev.edgefit.data.InputOverrides inputs) {
        public Options(TflitePrecision precision, boolean int8Io, List<Map<String, Tensor>> calibration) {
            this(precision, int8Io, calibration, dev.edgefit.data.InputOverrides.NONE);
        }

        /** With the input shapes and values the user fixed, which set the converted model's input shapes. */
        public Options withInputs(dev.edgefit.data.InputOverrides i) {
            return new Options(precision, int8Io, calibration, i);
        }

        public static Options of(TflitePrecision p) {
            return new Options(p, false, List.of());
        }
    }

    /** An input or output of the TFLite model, against the source model's. */
    public record Io(String name, String dtype, int[] shape, long[] sourceShape, int[] perm, String layout, Float scale, Long zeroPoint) {
        public Map<String, Object> describe() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", name);
            m.put("dtype", dtype);
            m.put("shape", shape);
            if (layout != null) {
                m.put("layout", layout);
            }
            m.put("sourceShape", sourceShape);
            if (perm != null) {
                m.put("sourceLayout", Layouts.NCHW);
            }
            if (scale != null) {
                m.put("scale", scale);
                m.put("zeroPoint", zeroPoint);
            }
            return m;
        }
    }

    /** The converted model and what a deployment needs to know about it. */
    public record Result(byte[] bytes, TflitePrecision precision, boolean int8Io, List<Io> inputs, List<Io> outputs,
                         List<Op> operators, int calibrationSamples, List<String> notes, TfliteModelWriter model) {
        /** For each input stored in another axis order than the source's: the permutation (tflite shape[i] = source shape[perm[i]]). */
        public Map<String, int[]> inputPerms() {
            Map<String, int[]> m = new LinkedHashMap<>();
            inputs.forEach(io -> {
                if (io.perm() != null) {
                    m.put(io.name(), io.perm());
                }
            });
            return m;
        }
    }

    /** One ONNX value as the converter holds it. */
    private static final class Val {
        final String name;
        final long[] shape;       // ONNX shape
        int[] perm;               // TFLite axis i holds ONNX axis perm[i]
        int tensor = -1;
        float[] constF;
        long[] constI;
        int[] featurePerm;        // a 2-D value flattened from NHWC: TFLite column j is ONNX column featurePerm[j]
        Val flatSource;

        Val(String name, long[] shape) {
            this.name = name;
            this.shape = shape;
            this.perm = identity(shape.length);
        }

        boolean isConst() {
            return constF != null || constI != null;
        }

        int rank() {
            return shape.length;
        }
    }

    private final ModelSnapshot model;
    private final String modelName;
    private final Options opts;
    private final TflitePrecision precision;
    private final boolean int8;
    private final TfliteModelWriter w = new TfliteModelWriter();
    private final Map<String, Val> vals = new HashMap<>();
    private final Map<String, long[]> shapes = new HashMap<>();
    private final Map<String, DType> dtypes = new HashMap<>();
    private final Map<String, Tensor> probe = new HashMap<>();
    private final Set<String> constants = new HashSet<>();
    private final Map<String, List<NodeProto>> consumers;
    private final Set<String> graphOutputs = new HashSet<>();
    private final Set<NodeProto> absorbed = new HashSet<>();
    private final Map<String, float[]> ranges = new HashMap<>();
    private final Map<String, Integer> layoutCache = new HashMap<>();
    private final List<String> notes = new ArrayList<>();
    private final Map<String, NodeProto> qdqQuantize = new HashMap<>();   // DequantizeLinear output -> its QuantizeLinear

    private TfliteConverter(ModelSnapshot model, Options opts) {
        this.model = model;
        this.modelName = model.origin() != null ? model.origin().getFileName().toString() : model.label();
        this.opts = opts;
        this.precision = opts.precision();
        this.int8 = precision == TflitePrecision.INT8;
        this.consumers = model.consumers();
        model.graph().getOutputList().forEach(o -> graphOutputs.add(o.getName()));
    }

    public static Result convert(ModelSnapshot model, Options opts, Progress progress) {
        return new TfliteConverter(upgraded(model), opts).run(progress);
    }

    /**
     * Models older than opset 13 are converted at opset 13 (OpsetUpgrader, in memory), which gives operators such as
     * Upsample and a pre-13 Softmax over several axes a form the converter takes; a model the upgrader refuses is
     * converted as it is.
     */
    private static ModelSnapshot upgraded(ModelSnapshot model) {
        if (model.opset() >= 13) {
            return model;
        }
        try {
            return OpsetUpgrader.upgrade(model, 13);
        } catch (EdgeFitException e) {
            return model;
        }
    }

    /** The nodes TFLite export cannot take, as "'name' (OpType)" entries; empty when the whole graph converts. */
    public static List<String> unsupportedNodes(ModelSnapshot model) {
        TfliteConverter c = new TfliteConverter(upgraded(model), Options.of(TflitePrecision.FP32));
        c.findConstants();
        return c.unsupported();
    }

    // ---------------------------------------------------------------- analysis

    private void findConstants() {
        constants.addAll(model.initializers().keySet());
        for (NodeProto n : model.graph().getNodeList()) {
            boolean foldable = n.getOpType().equals("Constant") || n.getOpType().equals("Shape")
                    || n.getInputList().stream().allMatch(i -> i.isEmpty() || constants.contains(i));
            if (foldable && (n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx"))) {
                n.getOutputList().stream().filter(o -> !o.isEmpty()).forEach(constants::add);
            }
        }
    }

    private boolean folded(NodeProto n) {
        return n.getOutputCount() > 0 && n.getOutputList().stream().allMatch(o -> o.isEmpty() || constants.contains(o));
    }

    private List<String> unsupported() {
        List<String> out = new ArrayList<>();
        for (NodeProto n : model.graph().getNodeList()) {
            if (folded(n)) {
                continue;
            }
            String why = whyNot(n);
            if (why != null) {
                out.add("'" + (n.getName().isEmpty() ? n.getOutput(0) : n.getName()) + "' (" + n.getOpType() + (why.isEmpty() ? "" : ": " + why) + ")");
            }
        }
        return out;
    }

    /** Null when the node converts; else "" (operator not in the set) or the reason. */
    private String whyNot(NodeProto n) {
        boolean onnxDomain = n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx");
        if (!onnxDomain || !SUPPORTED.contains(n.getOpType())) {
            return onnxDomain ? "" : "domain " + n.getDomain();
        }
        switch (n.getOpType()) {
            case "Conv" -> {
                if (!constants.contains(n.getInput(1))) {
                    return "weights computed at run time";
                }
            }
            case "Gemm" -> {
                if (Nodes.intAttr(n, "transA", 0) != 0) {
                    return "transA=1";
                }
            }
            case "Pad" -> {
                String mode = strAttr(n, "mode", "constant");
                if (!mode.equals("constant")) {
                    return "mode " + mode;
                }
                if (n.getInputCount() > 1 && !n.getInput(1).isEmpty() && !constants.contains(n.getInput(1))) {
                    return "pads computed at run time";
                }
            }
            case "Resize" -> {
                String mode = strAttr(n, "mode", "nearest");
                if (mode.equals("cubic")) {
                    return "cubic interpolation";
                }
            }
            case "ConvTranspose" -> {
                if (!constants.contains(n.getInput(1))) {
                    return "weights computed at run time";
                }
                if (Nodes.intAttr(n, "group", 1) != 1) {
                    return "groups";
                }
                long[] d = longsAttr(n, "dilations", null);
                if (d != null && Arrays.stream(d).anyMatch(x -> x != 1)) {
                    return "dilations";
                }
            }
            case "Slice" -> {
                if (n.getInputList().stream().skip(1).anyMatch(i -> !i.isEmpty() && !constants.contains(i))) {
                    return "starts, ends, axes or steps computed at run time";
                }
            }
            case "Cast" -> {
                if (Nodes.intAttr(n, "to", 0) != TensorProto.DataType.FLOAT_VALUE) {
                    return "cast to " + DType.fromOnnx((int) Nodes.intAttr(n, "to", 0)).label() + " of a value computed at run time";
                }
                NodeProto p = producer(n.getInput(0));
                boolean floatInput = model.inputs().stream().anyMatch(s -> s.name().equals(n.getInput(0)) && s.dtype() == DType.FLOAT);
                if (!floatInput && (p == null || !p.getOpType().equals("Equal"))) {
                    return "a cast to float of a value other than a float or an Equal's result";
                }
            }
            case "Pow" -> {
                if (!constants.contains(n.getInput(1))) {
                    return "exponent computed at run time";
                }
                float[] e = staticFloats(n.getInput(1));
                if (e != null && (e.length != 1 || !(e[0] == 1f || e[0] == 2f || e[0] == 0.5f))) {
                    return "exponent other than 1, 2 and 0.5";
                }
            }
            case "ReduceMean" -> {
                if (n.getInputCount() > 1 && !n.getInput(1).isEmpty() && !constants.contains(n.getInput(1))) {
                    return "axes computed at run time";
                }
            }
            case "QuantizeLinear" -> {
                List<NodeProto> cs = consumers.getOrDefault(n.getOutput(0), List.of());
                if (cs.isEmpty() || cs.stream().anyMatch(c -> !c.getOpType().equals("DequantizeLinear")) || graphOutputs.contains(n.getOutput(0))) {
                    return "quantized value used outside a QuantizeLinear/DequantizeLinear pair";
                }
            }
            case "DequantizeLinear" -> {
                if (producer(n.getInput(0)) == null || !producer(n.getInput(0)).getOpType().equals("QuantizeLinear")) {
                    return "input is neither a constant nor a QuantizeLinear output";
                }
            }
            default -> {
            }
        }
        return null;
    }

    /** A constant's values without running the model: an initializer or a Constant node's value; null otherwise. */
    private float[] staticFloats(String name) {
        TensorProto t = model.initializers().get(name);
        NodeProto p = t == null ? producer(name) : null;
        if (p != null && p.getOpType().equals("Constant")) {
            t = p.getAttributeList().stream().filter(a -> a.getName().equals("value") && a.hasT()).map(AttributeProto::getT).findFirst().orElse(null);
        }
        if (t == null) {
            return null;
        }
        if (Tensors.dtype(t).isFloatingPoint()) {
            return Tensors.toFloats(t);
        }
        return null;
    }

    private NodeProto producer(String value) {
        for (NodeProto n : model.graph().getNodeList()) {
            if (n.getOutputList().contains(value)) {
                return n;
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- conversion

    /**
     * Refuses, in milliseconds and before any calibration, a model TFLite export cannot take: the same sentence the
     * conversion would end with (every node the converter does not take, by name and type; a non-float input).
     */
    public static void check(ModelSnapshot model) {
        TfliteConverter c = new TfliteConverter(model, Options.of(TflitePrecision.FP32));
        c.findConstants();
        c.refuseUnsupported();
    }

    private void refuseUnsupported() {
        List<String> bad = unsupported();
        if (!bad.isEmpty()) {
            int shown = Math.min(bad.size(), 25);
            // many nodes: say first which operator types they are, most frequent first
            Map<String, Integer> byType = new java.util.TreeMap<>();
            for (NodeProto n : model.graph().getNodeList()) {
                if (!folded(n) && whyNot(n) != null) {
                    byType.merge(n.getOpType(), 1, Integer::sum);
                }
            }
            String types = bad.size() <= 5 ? "" : " (" + String.join(", ", byType.entrySet().stream()
                    .sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).map(e -> e.getKey() + " " + e.getValue()).toList()) + ")";
            throw new EdgeFitException(EdgeFitException.Kind.UNSUPPORTED_OPERATOR, modelName + ": TFLite export does not support "
                    + (bad.size() == 1 ? "1 node" : bad.size() + " nodes") + " of this model" + types + ": " + String.join(", ", bad.subList(0, shown))
                    + (bad.size() > shown ? " and " + (bad.size() - shown) + " more" : "")
                    + "; export it as ONNX or ORT format (ONNX Runtime / ORT Mobile) for this device instead.");
        }
        for (TensorSpec s : model.inputs()) {
            if (s.dtype() != DType.FLOAT) {
                throw new EdgeFitException(EdgeFitException.Kind.UNSUPPORTED_OPERATOR, modelName + ": TFLite export takes float inputs, but input '"
                        + s.name() + "' is " + s.dtype().label() + "; export it as ONNX or ORT format for this device instead.");
            }
        }
    }

    private Result run(Progress progress) {
        findConstants();
        refuseUnsupported();
        progress.update(0.05, "Measuring shapes");
        runProbe();
        if (int8) {
            progress.update(0.1, "Calibrating activation ranges");
            calibrate(progress.slice(0.1, 0.7));
        }
        progress.update(0.7, "Converting to TFLite");
        addInputs();
        List<NodeProto> nodes = model.graph().getNodeList();
        for (NodeProto n : nodes) {
            progress.checkCancelled();
            if (folded(n) || absorbed.contains(n)) {
                continue;
            }
            convertNode(n);
        }
        addOutputs();
        byte[] bytes = w.serialize("EdgeFit " + precision.id() + " conversion of " + modelName);
        progress.update(1, "Converted " + nodes.size() + " ONNX nodes to " + w.operators().size() + " TFLite operators");
        return new Result(bytes, precision, int8 && opts.int8Io(), ioList(true), ioList(false), w.opCodes(),
                int8 ? opts.calibration().size() : 0, List.copyOf(notes), w);
    }

    private void runProbe() {
        InputGenerator gen = new InputGenerator(model, opts.inputs());
        Map<String, Tensor> in = gen.generate(7);
        in.forEach((k, v) -> shapes.put(k, v.shape()));
        model.initializers().forEach((k, v) -> shapes.put(k, Tensors.dims(v)));
        Set<String> all = new LinkedHashSet<>();
        for (NodeProto n : model.graph().getNodeList()) {
            n.getOutputList().stream().filter(o -> !o.isEmpty()).forEach(all::add);
        }
        try (OrtRunner r = OrtRunner.inMemory(ShapeProbe.exposing(model, all), new RunnerOptions(1, RunnerOptions.OptLevel.NONE))) {
            r.run(in).forEach((k, v) -> {
                shapes.put(k, v.shape());
                dtypes.put(k, v.dtype());
                if (constants.contains(k)) {
                    probe.put(k, v);
                }
            });
        }
    }

    private void calibrate(Progress progress) {
        if (opts.calibration().isEmpty()) {
            throw EdgeFitException.badParameter("Full-integer TFLite export needs calibration inputs.");
        }
        Set<String> acts = new LinkedHashSet<>();
        model.inputs().forEach(s -> acts.add(s.name()));
        for (NodeProto n : model.graph().getNodeList()) {
            if (!folded(n)) {
                // float values only: a comparison's bool output has no range
                n.getOutputList().stream().filter(o -> !o.isEmpty() && dtypes.getOrDefault(o, DType.FLOAT).isFloatingPoint()).forEach(acts::add);
            }
        }
        ranges.putAll(ActivationRanges.collect(model, acts, opts.calibration(), ActivationRanges.Method.MINMAX, 99.99, progress));
        // ranges a quantization technique already fixed (QDQ pairs) win over this calibration
        int fromQdq = 0;
        for (NodeProto n : model.graph().getNodeList()) {
            if (n.getOpType().equals("QuantizeLinear") && constants.contains(n.getInput(1))) {
                float scale = constFloats(n.getInput(1))[0];
                long zp = n.getInputCount() > 2 && !n.getInput(2).isEmpty() ? constLongs(n.getInput(2))[0] : 0;
                boolean unsigned = n.getInputCount() > 2 && !n.getInput(2).isEmpty()
                        && model.initializer(n.getInput(2)).map(t -> Tensors.dtype(t) == DType.UINT8).orElse(false);
                float lo = (unsigned ? 0 - zp : -128 - zp) * scale;
                float hi = (unsigned ? 255 - zp : 127 - zp) * scale;
                ranges.put(n.getInput(0), new float[] {lo, hi});
                fromQdq++;
            }
        }
        if (fromQdq > 0) {
            notes.add(fromQdq + " activation ranges taken from the model's QuantizeLinear nodes; the rest calibrated on "
                    + opts.calibration().size() + " samples");
        } else {
            notes.add("activation ranges calibrated (min/max) on " + opts.calibration().size() + " samples");
        }
    }

    private float[] constFloats(String name) {
        TensorProto t = model.initializers().get(name);
        if (t != null) {
            DType d = Tensors.dtype(t);
            if (d.isFloatingPoint()) {
                return Tensors.toFloats(t);
            }
            long[] l = Tensors.toLongs(t);
            float[] f = new float[l.length];
            for (int i = 0; i < l.length; i++) {
                f[i] = l[i];
            }
            return f;
        }
        Tensor v = probe.get(name);
        if (v == null) {
            throw new IllegalStateException("no constant value for " + name);
        }
        return v.floats();
    }

    private long[] constLongs(String name) {
        TensorProto t = model.initializers().get(name);
        if (t != null) {
            if (Tensors.dtype(t).isFloatingPoint()) {
                float[] f = Tensors.toFloats(t);
                long[] l = new long[f.length];
                for (int i = 0; i < f.length; i++) {
                    l[i] = (long) f[i];
                }
                return l;
            }
            return Tensors.toLongs(t);
        }
        Tensor v = probe.get(name);
        if (v == null) {
            throw new IllegalStateException("no constant value for " + name);
        }
        if (v.data() instanceof long[] l) {
            return l.clone();
        }
        if (v.data() instanceof int[] a) {
            return Arrays.stream(a).asLongStream().toArray();
        }
        float[] f = v.floats();
        long[] l = new long[f.length];
        for (int i = 0; i < f.length; i++) {
            l[i] = (long) f[i];
        }
        return l;
    }

    private Val val(String name) {
        Val v = vals.get(name);
        if (v != null) {
            return v;
        }
        if (constants.contains(name)) {
            long[] shape = shapes.get(name);
            Val c = new Val(name, shape);
            TensorProto t = model.initializers().get(name);
            boolean isFloat = t != null ? Tensors.dtype(t).isFloatingPoint() : probe.get(name).dtype().isFloatingPoint();
            if (isFloat) {
                c.constF = constFloats(name);
            } else {
                c.constI = constLongs(name);
            }
            vals.put(name, c);
            return c;
        }
        throw new IllegalStateException("value " + name + " is not converted yet");
    }

    private long[] shapeOf(String name) {
        long[] s = shapes.get(name);
        if (s == null) {
            throw new IllegalStateException("no shape for " + name);
        }
        return s;
    }

    // ---------------------------------------------------------------- tensors

    private static int[] identity(int rank) {
        int[] p = new int[rank];
        for (int i = 0; i < rank; i++) {
            p[i] = i;
        }
        return p;
    }

    private static int[] tfShape(long[] onnxShape, int[] perm) {
        int[] s = new int[perm.length];
        for (int i = 0; i < perm.length; i++) {
            s[i] = Math.toIntExact(onnxShape[perm[i]]);
        }
        return s;
    }

    private Quant actQuant(String onnxName) {
        float[] r = ranges.get(onnxName);
        if (r == null) {
            throw new IllegalStateException("no calibrated range for " + onnxName);
        }
        return rangeQuant(r[0], r[1]);
    }

    static Quant rangeQuant(float lo0, float hi0) {
        float lo = Math.min(lo0, 0f);
        float hi = Math.max(hi0, 0f);
        if (hi - lo < 1e-8f) {
            hi = lo + 1e-8f;
        }
        float scale = (hi - lo) / 255f;
        long zp = Math.round(-128 - lo / scale);
        zp = Math.max(-128, Math.min(127, zp));
        return Quant.perTensor(scale, zp);
    }

    private static float[] quantRange(Quant q) {
        return new float[] {q.scale()[0] * (-128 - q.zeroPoint()[0]), q.scale()[0] * (127 - q.zeroPoint()[0])};
    }

    /** A new activation tensor: float32, or int8 with the given parameters in full-integer mode. */
    private int act(String name, int[] shape, Quant q) {
        return w.addTensor(name, shape, int8 ? TfliteSchema.INT8 : TfliteSchema.FLOAT32, null, int8 ? q : null);
    }

    private int actLike(String name, int[] shape, int like) {
        return act(name, shape, w.tensor(like).quant());
    }

    private void op(Op op, int[] in, int[] out, TfliteModelWriter.Options o) {
        w.addOperator(op, 1, in, out, o);
    }

    private static byte[] le(float[] f) {
        ByteBuffer b = ByteBuffer.allocate(f.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(f);
        return b.array();
    }

    private static byte[] le(int[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asIntBuffer().put(v);
        return b.array();
    }

    private int int32Const(String name, int[] values, int[] shape) {
        return w.addTensor(name, shape, TfliteSchema.INT32, le(values), null);
    }

    private int float32Const(String name, float[] data, int[] shape) {
        return w.addTensor(name, shape, TfliteSchema.FLOAT32, le(data), null);
    }

    /** A float constant operand: float32, float16 + DEQUANTIZE (fp16), or int8 per tensor (full integer). */
    private int floatConst(String name, float[] data, int[] shape, Quant int8Quant) {
        if (int8) {
            Quant q = int8Quant != null ? int8Quant : dataQuant(data);
            return int8Const(name, data, shape, q);
        }
        if (precision == TflitePrecision.FP16 && data.length > 1) {
            return fp16(name, data, shape);
        }
        return float32Const(name, data, shape);
    }

    private static Quant dataQuant(float[] data) {
        float lo = 0;
        float hi = 0;
        for (float x : data) {
            lo = Math.min(lo, x);
            hi = Math.max(hi, x);
        }
        return rangeQuant(lo, hi);
    }

    private int int8Const(String name, float[] data, int[] shape, Quant q) {
        byte[] b = new byte[data.length];
        float s = q.scale()[0];
        long zp = q.zeroPoint()[0];
        for (int i = 0; i < data.length; i++) {
            b[i] = (byte) Math.max(-128, Math.min(127, Math.round(data[i] / s) + zp));
        }
        return w.addTensor(name, shape, TfliteSchema.INT8, b, q);
    }

    private int fp16(String name, float[] data, int[] shape) {
        ByteBuffer b = ByteBuffer.allocate(data.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : data) {
            b.putShort(Half.fromFloat(x));
        }
        int h = w.addTensor(name + "_fp16", shape, TfliteSchema.FLOAT16, b.array(), null);
        int f = w.addTensor(name, shape, TfliteSchema.FLOAT32, null, null);
        op(Op.DEQUANTIZE, new int[] {h}, new int[] {f}, TfliteOptions.dequantize());
        return f;
    }

    /** Weights of a Conv/FC layer, per precision; {@code scales} receives the int8 scales per channel (null otherwise). */
    private int weights(String name, float[] data, int[] shape, int channelAxis, float[][] scales) {
        switch (precision) {
            case FP32 -> {
                return float32Const(name, data, shape);
            }
            case FP16 -> {
                return fp16(name, data, shape);
            }
            default -> {
                int channels = shape[channelAxis];
                int inner = 1;
                for (int d = channelAxis + 1; d < shape.length; d++) {
                    inner *= shape[d];
                }
                float[] s = new float[channels];
                for (int i = 0; i < data.length; i++) {
                    int c = (i / inner) % channels;
                    s[c] = Math.max(s[c], Math.abs(data[i]));
                }
                for (int c = 0; c < channels; c++) {
                    s[c] = s[c] == 0 ? 1f : s[c] / 127f;
                }
                byte[] q = new byte[data.length];
                for (int i = 0; i < data.length; i++) {
                    int c = (i / inner) % channels;
                    q[i] = (byte) Math.max(-127, Math.min(127, Math.round(data[i] / s[c])));
                }
                scales[0] = s;
                return w.addTensor(name, shape, TfliteSchema.INT8, q, new Quant(s, new long[channels], channelAxis));
            }
        }
    }

    /** A bias: int32 with scale input scale x weight scale per channel (full integer), else float (float16 for fp16). */
    private int bias(String name, float[] b, int input, float[] wScales) {
        if (int8) {
            float xs = w.tensor(input).quant().scale()[0];
            int[] q = new int[b.length];
            float[] s = new float[b.length];
            for (int i = 0; i < b.length; i++) {
                s[i] = xs * wScales[wScales.length == 1 ? 0 : i];
                q[i] = (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, Math.round((double) b[i] / s[i])));
            }
            return w.addTensor(name, new int[] {b.length}, TfliteSchema.INT32, le(q), new Quant(s, new long[b.length], 0));
        }
        if (precision == TflitePrecision.FP16) {
            return fp16(name, b, new int[] {b.length});
        }
        return float32Const(name, b, new int[] {b.length});
    }

    // ---------------------------------------------------------------- layouts

    /** True when permuting an array of this shape by p moves no data (only axes of size 1 change places). */
    private static boolean pureReshape(int[] shape, int[] p) {
        int last = -1;
        for (int a : p) {
            if (shape[a] == 1) {
                continue;
            }
            if (a < last) {
                return false;
            }
            last = a;
        }
        return true;
    }

    /** The value's tensor with its TFLite axes holding the ONNX axes {@code target} (same rank). */
    private int asLayout(Val v, int[] target) {
        if (v.isConst()) {
            return constTensor(v, target, null);
        }
        if (v.featurePerm != null) {
            if (!Layouts.isIdentity(target)) {
                throw new IllegalStateException("flattened value in another layout");
            }
            String key = v.name + "#flat";
            Integer cached = layoutCache.get(key);
            if (cached != null) {
                return cached;
            }
            int src = asLayout(v.flatSource, identity(v.flatSource.rank()));
            int out = actLike(v.name + "_chw", tfShape(v.shape, identity(2)), src);
            op(Op.RESHAPE, new int[] {src, int32Const(v.name + "_chw_shape", tfShape(v.shape, identity(2)), new int[] {2})}, new int[] {out},
                    TfliteOptions.reshape(tfShape(v.shape, identity(2))));
            layoutCache.put(key, out);
            return out;
        }
        if (Arrays.equals(v.perm, target)) {
            return v.tensor;
        }
        String key = v.name + "#" + Arrays.toString(target);
        Integer cached = layoutCache.get(key);
        if (cached != null) {
            return cached;
        }
        int[] inv = Layouts.inverse(v.perm);
        int[] t = new int[target.length];
        for (int i = 0; i < target.length; i++) {
            t[i] = inv[target[i]];
        }
        int[] curShape = tfShape(v.shape, v.perm);
        int[] newShape = tfShape(v.shape, target);
        String suffix = Layouts.isIdentity(target) ? "_onnx_order" : "_perm" + String.join("", Arrays.stream(target).mapToObj(Integer::toString).toList());
        int out = actLike(v.name + suffix, newShape, v.tensor);
        if (pureReshape(curShape, t)) {
            op(Op.RESHAPE, new int[] {v.tensor, int32Const(v.name + suffix + "_shape", newShape, new int[] {newShape.length})}, new int[] {out},
                    TfliteOptions.reshape(newShape));
        } else {
            op(Op.TRANSPOSE, new int[] {v.tensor, int32Const(v.name + suffix + "_perm", t, new int[] {t.length})}, new int[] {out},
                    TfliteOptions.transpose());
        }
        layoutCache.put(key, out);
        return out;
    }

    /** A constant as a TFLite tensor in the given layout (after left-padding its shape with 1s to the layout's rank). */
    private int constTensor(Val v, int[] target, Quant int8Quant) {
        long[] padded = padLeft(v.shape, target.length);
        String name = v.name + (Layouts.isIdentity(target) ? "" : "_perm" + String.join("", Arrays.stream(target).mapToObj(Integer::toString).toList()));
        if (v.constI != null) {
            int[] data = new int[v.constI.length];
            for (int i = 0; i < data.length; i++) {
                data[i] = (int) v.constI[i];
            }
            float[] f = new float[data.length];
            for (int i = 0; i < f.length; i++) {
                f[i] = data[i];
            }
            float[] p = Layouts.permute(f, padded, target);
            int[] pi = new int[p.length];
            for (int i = 0; i < p.length; i++) {
                pi[i] = (int) p[i];
            }
            return int32Const(name, pi, tfShape(padded, target));
        }
        float[] p = Layouts.permute(v.constF, padded, target);
        return floatConst(name, p, tfShape(padded, target), int8Quant);
    }

    private static long[] padLeft(long[] shape, int rank) {
        if (shape.length >= rank) {
            return shape;
        }
        long[] s = new long[rank];
        Arrays.fill(s, 1);
        System.arraycopy(shape, 0, s, rank - shape.length, shape.length);
        return s;
    }

    /** An operand of a broadcasting operator whose output is in layout {@code target}. */
    private int operand(Val v, int[] target, Quant int8Quant) {
        if (v.isConst()) {
            if (v.constF != null && v.constF.length == 1) {
                return floatConst(v.name, v.constF.clone(), new int[0], int8Quant);
            }
            return constTensor(v, target, int8Quant);
        }
        int rank = target.length;
        if (v.rank() == rank) {
            return asLayout(v, target);
        }
        // lower rank: ONNX broadcasting aligns the trailing axes; add leading 1s, then lay out
        int k = rank - v.rank();
        Val padded = new Val(v.name + "_rank" + rank, padLeft(v.shape, rank));
        int[] perm = new int[rank];
        for (int i = 0; i < k; i++) {
            perm[i] = i;
        }
        int src = asLayout(v, v.featurePerm != null ? identity(v.rank()) : v.perm);
        int[] srcPerm = v.featurePerm != null ? identity(v.rank()) : v.perm;
        for (int i = 0; i < v.rank(); i++) {
            perm[k + i] = srcPerm[i] + k;
        }
        padded.perm = perm;
        int[] shape = tfShape(padded.shape, perm);
        padded.tensor = actLike(padded.name, shape, src);
        op(Op.RESHAPE, new int[] {src, int32Const(padded.name + "_shape", shape, new int[] {rank})}, new int[] {padded.tensor}, TfliteOptions.reshape(shape));
        return asLayout(padded, target);
    }

    private Val define(String name, int[] perm, int tensor) {
        Val v = new Val(name, shapeOf(name));
        v.perm = perm;
        v.tensor = tensor;
        vals.put(name, v);
        return v;
    }

    // ---------------------------------------------------------------- inputs and outputs

    private void addInputs() {
        List<Integer> ins = new ArrayList<>();
        for (TensorSpec s : model.inputs()) {
            long[] shape = shapeOf(s.name());
            int[] perm = sourcePerm(s.name(), shape.length);
            int[] ts = tfShape(shape, perm);
            int t;
            if (int8 && !opts.int8Io()) {
                int f = w.addTensor(s.name(), ts, TfliteSchema.FLOAT32, null, null);
                t = act(s.name() + "_int8", ts, actQuant(s.name()));
                op(Op.QUANTIZE, new int[] {f}, new int[] {t}, TfliteOptions.quantize());
                ins.add(f);
            } else {
                t = act(s.name(), ts, int8 ? actQuant(s.name()) : null);
                ins.add(t);
            }
            define(s.name(), perm, t);
            if (shape.length == 4) {
                notes.add(Layouts.isIdentity(perm)
                        ? "input '" + s.name() + "' is NHWC " + Arrays.toString(ts) + ", as the ONNX model takes it (its Transpose to NCHW costs no operator)"
                        : "input '" + s.name() + "' is NHWC " + Arrays.toString(ts) + " (the ONNX model takes NCHW " + Arrays.toString(shape) + ")");
            }
        }
        w.setInputs(ins.stream().mapToInt(Integer::intValue).toArray());
    }

    /**
     * How a source input is laid out in the TFLite file (TFLite axis i holds ONNX axis perm[i]): a 4-D NCHW image
     * becomes NHWC; an input the model already takes NHWC ({@link Layouts#inputLayout}) keeps its order, so the
     * artifact takes the same tensor as the ONNX model and the model's own Transpose to NCHW only relabels axes.
     */
    private int[] sourcePerm(String input, int rank) {
        if (rank == 4 && !Layouts.NHWC.equals(Layouts.inputLayout(model, input))) {
            return Layouts.NCHW_TO_NHWC.clone();
        }
        return identity(rank);
    }

    private void addOutputs() {
        List<Integer> outs = new ArrayList<>();
        for (TensorSpec s : model.outputs()) {
            Val v = val(s.name());
            if (v.isConst()) {
                throw new EdgeFitException(EdgeFitException.Kind.UNSUPPORTED_OPERATOR, modelName + ": output '" + s.name()
                        + "' is a constant; TFLite export needs outputs computed from the inputs.");
            }
            int t = asLayout(v, identity(v.rank()));
            if (int8 && !opts.int8Io()) {
                w.rename(t, s.name() + "_int8");
                int f = w.addTensor(s.name(), w.tensor(t).shape(), TfliteSchema.FLOAT32, null, null);
                op(Op.DEQUANTIZE, new int[] {t}, new int[] {f}, TfliteOptions.dequantize());
                t = f;
            } else if (!w.tensor(t).name().equals(s.name())) {
                for (int i = 0; i < w.tensors().size(); i++) {
                    if (i != t && w.tensor(i).name().equals(s.name())) {
                        w.rename(i, s.name() + "_source_layout");
                    }
                }
                w.rename(t, s.name());
            }
            outs.add(t);
        }
        w.setOutputs(outs.stream().mapToInt(Integer::intValue).toArray());
    }

    private List<Io> ioList(boolean inputs) {
        List<Io> out = new ArrayList<>();
        int[] idx = inputs ? w.inputs() : w.outputs();
        List<TensorSpec> specs = inputs ? model.inputs() : model.outputs();
        for (int i = 0; i < idx.length; i++) {
            TfliteModelWriter.TensorDef t = w.tensor(idx[i]);
            long[] src = shapeOf(specs.get(i).name());
            int[] perm = inputs ? sourcePerm(specs.get(i).name(), src.length) : null;
            if (perm != null && Layouts.isIdentity(perm)) {
                perm = null;
            }
            Quant q = t.quant();
            // a 4-D input is NHWC in the file (permuted from NCHW data, or as the source takes it); other tensors keep the source's order
            out.add(new Io(t.name(), TfliteSchema.typeName(t.type()), t.shape(), src, perm, inputs && src.length == 4 ? Layouts.NHWC : null,
                    q == null ? null : q.scale()[0], q == null ? null : q.zeroPoint()[0]));
        }
        return out;
    }

    // ---------------------------------------------------------------- operators

    private EdgeFitException unsupported(NodeProto n, String why) {
        return new EdgeFitException(EdgeFitException.Kind.UNSUPPORTED_OPERATOR, modelName + ": TFLite export cannot convert node '"
                + n.getName() + "' (" + n.getOpType() + "): " + why + "; export it as ONNX or ORT format (ONNX Runtime / ORT Mobile) for this device instead.");
    }

    private void convertNode(NodeProto n) {
        switch (n.getOpType()) {
            case "Identity", "Dropout" -> vals.put(n.getOutput(0), alias(val(n.getInput(0)), n.getOutput(0)));
            case "Conv" -> conv(n);
            case "Gemm" -> gemm(n);
            case "MatMul" -> matmul(n);
            case "Add", "Sub", "Mul", "Div" -> binary(n);
            case "Relu", "Sigmoid", "Tanh", "LeakyRelu", "HardSwish", "Clip" -> unary(n);
            case "MaxPool", "AveragePool" -> pool(n);
            case "GlobalAveragePool", "GlobalMaxPool" -> globalPool(n);
            case "BatchNormalization" -> batchNorm(n);
            case "Flatten", "Reshape" -> reshape(n);
            case "Transpose" -> transpose(n);
            case "Squeeze" -> squeeze(n);
            case "Unsqueeze" -> unsqueeze(n);
            case "Concat" -> concat(n);
            case "Pad" -> pad(n);
            case "Softmax" -> softmax(n);
            case "Resize" -> resize(n);
            case "Slice" -> slice(n);
            case "ConvTranspose" -> convTranspose(n);
            case "Equal" -> equal(n);
            case "Cast" -> cast(n);
            case "HardSigmoid" -> hardSigmoid(n);
            case "ReduceMean" -> reduceMean(n);
            case "Pow" -> pow(n);
            case "Sqrt" -> floatOnly(n, Op.SQRT, materialized(val(n.getInput(0))));
            case "QuantizeLinear" -> {
                // its DequantizeLinear consumers stand for its input
            }
            case "DequantizeLinear" -> {
                NodeProto q = producer(n.getInput(0));
                vals.put(n.getOutput(0), alias(val(q.getInput(0)), n.getOutput(0)));
            }
            default -> throw unsupported(n, "operator not in the converter's set");
        }
    }

    private Val alias(Val v, String name) {
        Val a = new Val(name, v.shape);
        a.perm = v.perm;
        a.tensor = v.tensor;
        a.constF = v.constF;
        a.constI = v.constI;
        a.featurePerm = v.featurePerm;
        a.flatSource = v.flatSource;
        return a;
    }

    /** What follows a layer and folds into it: BatchNormalization (Conv only), then Relu/Relu6/Clip. */
    private record Tail(String value, byte act, float[] bnScale, float[] bnShift) {
    }

    private NodeProto soleConsumer(String v) {
        List<NodeProto> cs = consumers.getOrDefault(v, List.of());
        return cs.size() == 1 && !graphOutputs.contains(v) ? cs.get(0) : null;
    }

    private Tail tail(String out, boolean allowBn) {
        String v = out;
        float[] scale = null;
        float[] shift = null;
        NodeProto c = soleConsumer(v);
        if (allowBn && c != null && c.getOpType().equals("BatchNormalization") && c.getInput(0).equals(v)
                && c.getInputList().subList(1, 5).stream().allMatch(constants::contains)) {
            float[] g = constFloats(c.getInput(1));
            float[] b = constFloats(c.getInput(2));
            float[] mean = constFloats(c.getInput(3));
            float[] var = constFloats(c.getInput(4));
            float eps = Nodes.floatAttr(c, "epsilon", 1e-5f);
            scale = new float[g.length];
            shift = new float[g.length];
            for (int i = 0; i < g.length; i++) {
                scale[i] = (float) (g[i] / Math.sqrt(var[i] + eps));
                shift[i] = b[i] - mean[i] * scale[i];
            }
            absorbed.add(c);
            notes.add("BatchNormalization '" + c.getName() + "' folded into the convolution before it");
            v = c.getOutput(0);
            c = soleConsumer(v);
        }
        byte act = c == null ? -1 : activation(c);
        if (act >= 0) {
            absorbed.add(c);
            v = c.getOutput(0);
        }
        return new Tail(v, act < 0 ? TfliteSchema.ACT_NONE : act, scale, shift);
    }

    /** The fused activation a node is, or -1. */
    private byte activation(NodeProto c) {
        if (c.getOpType().equals("Relu")) {
            return TfliteSchema.ACT_RELU;
        }
        if (c.getOpType().equals("Clip")) {
            float[] mm = clipRange(c);
            if (mm == null) {
                return -1;
            }
            if (mm[0] == 0 && mm[1] == 6) {
                return TfliteSchema.ACT_RELU6;
            }
            if (mm[0] == 0 && Float.isInfinite(mm[1])) {
                return TfliteSchema.ACT_RELU;
            }
            if (mm[0] == -1 && mm[1] == 1) {
                return TfliteSchema.ACT_RELU_N1_TO_1;
            }
        }
        return -1;
    }

    /** Clip's {min, max} (infinite where absent), or null when a bound is computed at run time. */
    private float[] clipRange(NodeProto c) {
        float lo = Float.NEGATIVE_INFINITY;
        float hi = Float.POSITIVE_INFINITY;
        if (Nodes.hasAttr(c, "min") || Nodes.hasAttr(c, "max")) {
            lo = Nodes.floatAttr(c, "min", lo);
            hi = Nodes.floatAttr(c, "max", hi);
        }
        if (c.getInputCount() > 1 && !c.getInput(1).isEmpty()) {
            if (!constants.contains(c.getInput(1))) {
                return null;
            }
            lo = constFloats(c.getInput(1))[0];
        }
        if (c.getInputCount() > 2 && !c.getInput(2).isEmpty()) {
            if (!constants.contains(c.getInput(2))) {
                return null;
            }
            hi = constFloats(c.getInput(2))[0];
        }
        return new float[] {lo, hi};
    }

    private Quant outQuant(String value) {
        return int8 ? actQuant(value) : null;
    }

    private static long[] longsAttr(NodeProto n, String name, long[] def) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a.getIntsList().stream().mapToLong(Long::longValue).toArray();
            }
        }
        return def;
    }

    private static String strAttr(NodeProto n, String name, String def) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a.getS().toStringUtf8();
            }
        }
        return def;
    }

    /** TFLite padding for a 2-D window: SAME or VALID, plus explicit pads {top, bottom, left, right} to add first (or null). */
    private record Padding2(byte mode, int[] explicit) {
    }

    private static int[] samePads(int in, int k, int s, int d) {
        int out = (in + s - 1) / s;
        int total = Math.max((out - 1) * s + (k - 1) * d + 1 - in, 0);
        return new int[] {total / 2, total - total / 2};
    }

    private Padding2 padding(NodeProto n, int h, int wd, int kh, int kw, int sh, int sw, int dh, int dw, long oh, long ow, boolean ceilAllowed) {
        String auto = strAttr(n, "auto_pad", "NOTSET");
        int[] sameH = samePads(h, kh, sh, dh);
        int[] sameW = samePads(wd, kw, sw, dw);
        int[] p;   // top, left, bottom, right
        switch (auto) {
            case "SAME_UPPER" -> p = new int[] {sameH[0], sameW[0], sameH[1], sameW[1]};
            case "SAME_LOWER" -> p = new int[] {sameH[1], sameW[1], sameH[0], sameW[0]};
            case "VALID" -> p = new int[4];
            default -> {
                long[] pads = longsAttr(n, "pads", new long[4]);
                p = new int[] {(int) pads[0], (int) pads[1], (int) pads[2], (int) pads[3]};
            }
        }
        // ceil_mode (pools): pad the end so that the last, partial window exists
        int effH = (kh - 1) * dh + 1;
        int effW = (kw - 1) * dw + 1;
        int needH = (int) ((oh - 1) * sh + effH - (h + p[0] + p[2]));
        int needW = (int) ((ow - 1) * sw + effW - (wd + p[1] + p[3]));
        if (needH > 0 || needW > 0) {
            if (!ceilAllowed) {
                throw unsupported(n, "output size needs padding the converter cannot express");
            }
            p[2] += Math.max(0, needH);
            p[3] += Math.max(0, needW);
        }
        if (p[0] == 0 && p[1] == 0 && p[2] == 0 && p[3] == 0) {
            return new Padding2(TfliteSchema.PADDING_VALID, null);
        }
        if (p[0] == sameH[0] && p[2] == sameH[1] && p[1] == sameW[0] && p[3] == sameW[1] && (h + sh - 1) / sh == oh && (wd + sw - 1) / sw == ow) {
            return new Padding2(TfliteSchema.PADDING_SAME, null);
        }
        for (int x : p) {
            if (x < 0) {
                throw unsupported(n, "negative padding");
            }
        }
        return new Padding2(TfliteSchema.PADDING_VALID, new int[] {p[0], p[2], p[1], p[3]});
    }

    /** PAD (or PADV2 with a constant value) of an NHWC tensor by {top, bottom, left, right}. */
    private int padNhwc(String name, int x, int[] tb, float value) {
        int[] s = w.tensor(x).shape();
        int[] shape = {s[0], s[1] + tb[0] + tb[1], s[2] + tb[2] + tb[3], s[3]};
        int out = actLike(name + "_padded", shape, x);
        int pads = int32Const(name + "_paddings", new int[] {0, 0, tb[0], tb[1], tb[2], tb[3], 0, 0}, new int[] {4, 2});
        if (value == 0) {
            op(Op.PAD, new int[] {x, pads}, new int[] {out}, TfliteOptions.pad());
        } else {
            int v = int8 ? int8Const(name + "_pad_value", new float[] {value}, new int[0], w.tensor(x).quant())
                    : float32Const(name + "_pad_value", new float[] {value}, new int[0]);
            op(Op.PADV2, new int[] {x, pads, v}, new int[] {out}, TfliteOptions.padV2());
        }
        return out;
    }

    private void conv(NodeProto n) {
        Val x = val(n.getInput(0));
        Val wv = val(n.getInput(1));
        if (wv.rank() != 4 || x.rank() != 4) {
            throw unsupported(n, "only 2-D convolutions are converted (this one has " + (wv.rank() - 2) + " spatial dimensions)");
        }
        int o = (int) wv.shape[0];
        int ig = (int) wv.shape[1];
        int kh = (int) wv.shape[2];
        int kw = (int) wv.shape[3];
        int group = (int) Nodes.intAttr(n, "group", 1);
        long[] strides = longsAttr(n, "strides", new long[] {1, 1});
        long[] dil = longsAttr(n, "dilations", new long[] {1, 1});
        int c = (int) x.shape[1];
        int h = (int) x.shape[2];
        int wd = (int) x.shape[3];
        Tail t = tail(n.getOutput(0), true);
        long[] outShape = shapeOf(t.value());
        Padding2 pad = padding(n, h, wd, kh, kw, (int) strides[0], (int) strides[1], (int) dil[0], (int) dil[1], outShape[2], outShape[3], false);
        int in = asLayout(x, Layouts.NCHW_TO_NHWC);
        if (pad.explicit() != null) {
            in = padNhwc(n.getOutput(0), in, pad.explicit(), 0f);
        }
        float[] wf = wv.constF.clone();
        float[] b = n.getInputCount() > 2 && !n.getInput(2).isEmpty() ? val(n.getInput(2)).constF.clone() : new float[o];
        if (t.bnScale() != null) {
            int per = wf.length / o;
            for (int oc = 0; oc < o; oc++) {
                for (int j = 0; j < per; j++) {
                    wf[oc * per + j] *= t.bnScale()[oc];
                }
                b[oc] = b[oc] * t.bnScale()[oc] + t.bnShift()[oc];
            }
        }
        int[] nhwcOut = tfShape(outShape, Layouts.NCHW_TO_NHWC);
        int out = act(t.value(), nhwcOut, outQuant(t.value()));
        String base = n.getName().isEmpty() ? n.getOutput(0) : n.getName();
        if (group == 1) {
            float[] ohwi = Layouts.permute(wf, wv.shape, new int[] {0, 2, 3, 1});
            float[][] scales = new float[1][];
            int wt = weights(base + "_weights", ohwi, new int[] {o, kh, kw, ig}, 0, scales);
            int bt = bias(base + "_bias", b, in, scales[0]);
            op(Op.CONV_2D, new int[] {in, wt, bt}, new int[] {out},
                    TfliteOptions.conv2d(pad.mode(), (int) strides[1], (int) strides[0], t.act(), (int) dil[1], (int) dil[0]));
        } else if (ig == 1 && group == c) {
            float[] ihwo = Layouts.permute(wf, wv.shape, new int[] {1, 2, 3, 0});
            float[][] scales = new float[1][];
            int wt = weights(base + "_weights", ihwo, new int[] {1, kh, kw, o}, 3, scales);
            int bt = bias(base + "_bias", b, in, scales[0]);
            op(Op.DEPTHWISE_CONV_2D, new int[] {in, wt, bt}, new int[] {out},
                    TfliteOptions.depthwise(pad.mode(), (int) strides[1], (int) strides[0], o / c, t.act(), (int) dil[1], (int) dil[0]));
        } else {
            // grouped: SPLIT the channels, one CONV_2D per group, CONCATENATION of the results
            int og = o / group;
            int[] inShape = w.tensor(in).shape();
            int[] parts = new int[group];
            for (int gi = 0; gi < group; gi++) {
                parts[gi] = actLike(base + "_group" + gi + "_in", new int[] {inShape[0], inShape[1], inShape[2], ig}, in);
            }
            op(Op.SPLIT, new int[] {int32Const(base + "_split_axis", new int[] {3}, new int[0]), in}, parts, TfliteOptions.split(group));
            int[] outs = new int[group];
            int per = ig * kh * kw;
            for (int gi = 0; gi < group; gi++) {
                float[] wg = Arrays.copyOfRange(wf, gi * og * per, (gi + 1) * og * per);
                float[] ohwi = Layouts.permute(wg, new long[] {og, ig, kh, kw}, new int[] {0, 2, 3, 1});
                float[][] scales = new float[1][];
                int wt = weights(base + "_group" + gi + "_weights", ohwi, new int[] {og, kh, kw, ig}, 0, scales);
                int bt = bias(base + "_group" + gi + "_bias", Arrays.copyOfRange(b, gi * og, (gi + 1) * og), parts[gi], scales[0]);
                outs[gi] = actLike(base + "_group" + gi + "_out", new int[] {nhwcOut[0], nhwcOut[1], nhwcOut[2], og}, out);
                op(Op.CONV_2D, new int[] {parts[gi], wt, bt}, new int[] {outs[gi]},
                        TfliteOptions.conv2d(pad.mode(), (int) strides[1], (int) strides[0], t.act(), (int) dil[1], (int) dil[0]));
            }
            op(Op.CONCATENATION, outs, new int[] {out}, TfliteOptions.concatenation(3, TfliteSchema.ACT_NONE));
            notes.add("grouped convolution '" + base + "' (" + group + " groups) as SPLIT, " + group + " CONV_2D and CONCATENATION");
        }
        define(t.value(), Layouts.NCHW_TO_NHWC.clone(), out);
    }

    /** A fully connected layer: weights [out, in] (already transposed and scaled), optional bias. */
    private void fullyConnected(NodeProto n, Val a, float[] wmat, int nOut, int k, float[] bias, Tail t) {
        int in;
        float[] wm = wmat;
        if (a.featurePerm != null) {
            in = a.tensor;
            wm = new float[wmat.length];
            int[] fp = a.featurePerm;
            for (int r = 0; r < nOut; r++) {
                for (int j = 0; j < k; j++) {
                    wm[r * k + j] = wmat[r * k + fp[j]];
                }
            }
            notes.add("Flatten of an NHWC tensor before '" + n.getName() + "': its weight columns were permuted to HWC order instead of moving the data");
        } else {
            in = asLayout(a, identity(a.rank()));
        }
        String base = n.getName().isEmpty() ? n.getOutput(0) : n.getName();
        float[][] scales = new float[1][];
        int wt = weights(base + "_weights", wm, new int[] {nOut, k}, 0, scales);
        int bt = bias == null ? -1 : bias(base + "_bias", bias, in, scales[0]);
        long[] os = shapeOf(t.value());
        int out = act(t.value(), tfShape(os, identity(os.length)), outQuant(t.value()));
        op(Op.FULLY_CONNECTED, new int[] {in, wt, bt}, new int[] {out}, TfliteOptions.fullyConnected(t.act(), a.rank() > 2));
        define(t.value(), identity(os.length), out);
    }

    private static float[] transpose2d(float[] m, int rows, int cols) {
        float[] t = new float[m.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = m[r * cols + c];
            }
        }
        return t;
    }

    private void gemm(NodeProto n) {
        Val a = val(n.getInput(0));
        Val b = val(n.getInput(1));
        float alpha = Nodes.floatAttr(n, "alpha", 1f);
        float beta = Nodes.floatAttr(n, "beta", 1f);
        boolean transB = Nodes.intAttr(n, "transB", 0) == 1;
        Val c = n.getInputCount() > 2 && !n.getInput(2).isEmpty() ? val(n.getInput(2)) : null;
        if (!b.isConst()) {
            if (alpha != 1f) {
                throw unsupported(n, "alpha other than 1 with weights computed at run time");
            }
            batchMatMul(n, a, b, transB, c == null ? null : c, beta);
            return;
        }
        int k = (int) (transB ? b.shape[1] : b.shape[0]);
        int nOut = (int) (transB ? b.shape[0] : b.shape[1]);
        float[] wm = transB ? b.constF.clone() : transpose2d(b.constF, k, nOut);
        if (alpha != 1f) {
            for (int i = 0; i < wm.length; i++) {
                wm[i] *= alpha;
            }
        }
        float[] bias = null;
        boolean addAfter = false;
        if (c != null) {
            if (c.isConst() && c.constF != null && (c.constF.length == nOut || c.constF.length == 1)) {
                bias = new float[nOut];
                for (int i = 0; i < nOut; i++) {
                    bias[i] = beta * c.constF[c.constF.length == 1 ? 0 : i];
                }
            } else {
                addAfter = true;
            }
        }
        if (addAfter) {
            throw unsupported(n, "a bias C that is not a constant vector");
        }
        fullyConnected(n, a, wm, nOut, k, bias, tail(n.getOutput(0), false));
    }

    private void matmul(NodeProto n) {
        Val a = val(n.getInput(0));
        Val b = val(n.getInput(1));
        if (b.isConst() && b.rank() == 2 && b.constF != null) {
            int k = (int) b.shape[0];
            int nOut = (int) b.shape[1];
            float[] wm = transpose2d(b.constF, k, nOut);
            // a following Add of a constant vector becomes the bias
            float[] bias = null;
            String out = n.getOutput(0);
            NodeProto add = soleConsumer(out);
            if (add != null && add.getOpType().equals("Add")) {
                String other = add.getInput(0).equals(out) ? add.getInput(1) : add.getInput(0);
                if (constants.contains(other) && val(other).constF != null && val(other).constF.length == nOut && !other.equals(out)) {
                    bias = val(other).constF.clone();
                    absorbed.add(add);
                    out = add.getOutput(0);
                }
            }
            fullyConnected(n, a, wm, nOut, k, bias, tail(out, false));
            return;
        }
        batchMatMul(n, a, b, false, null, 1f);
    }

    private void batchMatMul(NodeProto n, Val a, Val b, boolean adjY, Val c, float beta) {
        int ta = asLayout(a, identity(a.rank()));
        int tb = b.isConst() ? constTensor(b, identity(b.rank()), null) : asLayout(b, identity(b.rank()));
        String outName = n.getOutput(0);
        long[] os = shapeOf(outName);
        boolean withC = c != null;
        String mmName = withC ? outName + "_matmul" : outName;
        int mm = act(mmName, tfShape(os, identity(os.length)), outQuant(outName));
        op(Op.BATCH_MATMUL, new int[] {ta, tb}, new int[] {mm}, TfliteOptions.batchMatMul(false, adjY));
        if (withC) {
            Val cv = c;
            if (beta != 1f) {
                if (!c.isConst() || c.constF == null) {
                    throw unsupported(n, "beta other than 1 with a bias computed at run time");
                }
                cv = new Val(c.name + "_beta", c.shape);
                cv.constF = c.constF.clone();
                for (int i = 0; i < cv.constF.length; i++) {
                    cv.constF[i] *= beta;
                }
            }
            int[] perm = identity(os.length);
            int tc = operand(cv, perm, null);
            int out = act(outName, tfShape(os, perm), outQuant(outName));
            op(Op.ADD, new int[] {mm, tc}, new int[] {out}, TfliteOptions.arithmetic(Op.ADD, TfliteSchema.ACT_NONE));
            define(outName, perm, out);
        } else {
            define(outName, identity(os.length), mm);
        }
    }

    private void binary(NodeProto n) {
        String type = n.getOpType();
        Val a = val(n.getInput(0));
        Val b = val(n.getInput(1));
        if (type.equals("Div") && b.isConst() && b.constF != null) {
            Val r = new Val(b.name + "_reciprocal", b.shape);
            r.constF = new float[b.constF.length];
            for (int i = 0; i < r.constF.length; i++) {
                r.constF[i] = 1f / b.constF[i];
            }
            b = r;
            type = "Mul";
        }
        Op op = switch (type) {
            case "Add" -> Op.ADD;
            case "Sub" -> Op.SUB;
            case "Mul" -> Op.MUL;
            default -> Op.DIV;
        };
        long[] os = shapeOf(n.getOutput(0));
        int rank = os.length;
        int[] perm = identity(rank);
        for (Val v : List.of(a, b)) {
            if (!v.isConst() && v.rank() == rank && v.featurePerm == null) {
                perm = v.perm;
                break;
            }
        }
        Tail t = tail(n.getOutput(0), false);
        int ta = operand(a, perm, null);
        int tb = operand(b, perm, null);
        if (int8 && op == Op.DIV) {
            // TFLite has no int8 DIV: run it in float between DEQUANTIZE and QUANTIZE
            int fa = dequantized(ta);
            int fb = dequantized(tb);
            int fo = w.addTensor(t.value() + "_float", tfShape(os, perm), TfliteSchema.FLOAT32, null, null);
            op(Op.DIV, new int[] {fa, fb}, new int[] {fo}, TfliteOptions.arithmetic(Op.DIV, t.act()));
            int out = act(t.value(), tfShape(os, perm), outQuant(t.value()));
            op(Op.QUANTIZE, new int[] {fo}, new int[] {out}, TfliteOptions.quantize());
            define(t.value(), perm, out);
            notes.add("'" + n.getName() + "' (Div) runs in float32 between DEQUANTIZE and QUANTIZE: TFLite has no int8 DIV");
            return;
        }
        int out = act(t.value(), tfShape(os, perm), outQuant(t.value()));
        op(op, new int[] {ta, tb}, new int[] {out}, TfliteOptions.arithmetic(op, t.act()));
        define(t.value(), perm, out);
    }

    private int dequantized(int t) {
        int f = w.addTensor(w.tensor(t).name() + "_float", w.tensor(t).shape(), TfliteSchema.FLOAT32, null, null);
        op(Op.DEQUANTIZE, new int[] {t}, new int[] {f}, TfliteOptions.dequantize());
        return f;
    }

    private Val materialized(Val x) {
        if (x.featurePerm == null) {
            return x;
        }
        Val m = new Val(x.name, x.shape);
        m.tensor = asLayout(x, identity(2));
        return m;
    }

    private void unary(NodeProto n) {
        Val x = materialized(val(n.getInput(0)));
        String outName = n.getOutput(0);
        int in = x.tensor;
        int[] shape = w.tensor(in).shape();
        String type = n.getOpType();
        if (type.equals("Clip")) {
            byte act = activation(n);
            float[] mm = clipRange(n);
            if (mm == null) {
                throw unsupported(n, "bounds computed at run time");
            }
            if (act < 0) {
                // general bounds: MAXIMUM with min, then MINIMUM with max (int8: the input's own scale throughout)
                Quant q = int8 ? w.tensor(in).quant() : null;
                int cur = in;
                if (!Float.isInfinite(mm[0])) {
                    int lo = int8 ? int8Const(outName + "_min", new float[] {mm[0]}, new int[0], q) : float32Const(outName + "_min", new float[] {mm[0]}, new int[0]);
                    int o1 = Float.isInfinite(mm[1]) ? act(outName, shape, q) : act(outName + "_max_with_min", shape, q);
                    op(Op.MAXIMUM, new int[] {cur, lo}, new int[] {o1}, TfliteOptions.maximumMinimum());
                    cur = o1;
                }
                if (!Float.isInfinite(mm[1])) {
                    int hi = int8 ? int8Const(outName + "_max", new float[] {mm[1]}, new int[0], q) : float32Const(outName + "_max", new float[] {mm[1]}, new int[0]);
                    int o2 = act(outName, shape, q);
                    op(Op.MINIMUM, new int[] {cur, hi}, new int[] {o2}, TfliteOptions.maximumMinimum());
                    cur = o2;
                }
                define(outName, x.perm, cur);
                return;
            }
            Op op = act == TfliteSchema.ACT_RELU6 ? Op.RELU6 : act == TfliteSchema.ACT_RELU ? Op.RELU : Op.RELU_N1_TO_1;
            int out = act(outName, shape, outQuant(outName));
            op(op, new int[] {in}, new int[] {out}, null);
            define(outName, x.perm, out);
            return;
        }
        Quant q = outQuant(outName);
        Op op;
        TfliteModelWriter.Options o = null;
        switch (type) {
            case "Relu" -> op = Op.RELU;
            case "Sigmoid" -> {
                op = Op.LOGISTIC;
                q = int8 ? Quant.perTensor(1f / 256, -128) : null;
            }
            case "Tanh" -> {
                op = Op.TANH;
                q = int8 ? Quant.perTensor(1f / 128, 0) : null;
            }
            case "LeakyRelu" -> {
                op = Op.LEAKY_RELU;
                o = TfliteOptions.leakyRelu(Nodes.floatAttr(n, "alpha", 0.01f));
            }
            default -> {
                op = Op.HARD_SWISH;
                o = TfliteOptions.hardSwish();
            }
        }
        int out = act(outName, shape, q);
        op(op, new int[] {in}, new int[] {out}, o);
        define(outName, x.perm, out);
    }

    private void pool(NodeProto n) {
        Val x = val(n.getInput(0));
        if (x.rank() != 4) {
            throw unsupported(n, "only 2-D pooling is converted");
        }
        boolean max = n.getOpType().equals("MaxPool");
        if (n.getOutputCount() > 1 && !n.getOutput(1).isEmpty()) {
            throw unsupported(n, "the indices output");
        }
        long[] k = longsAttr(n, "kernel_shape", null);
        long[] s = longsAttr(n, "strides", new long[] {1, 1});
        long[] dil = longsAttr(n, "dilations", new long[] {1, 1});
        if (dil[0] != 1 || dil[1] != 1) {
            throw unsupported(n, "dilated pooling");
        }
        String outName = n.getOutput(0);
        long[] os = shapeOf(outName);
        int h = (int) x.shape[2];
        int wd = (int) x.shape[3];
        Padding2 pad = padding(n, h, wd, (int) k[0], (int) k[1], (int) s[0], (int) s[1], 1, 1, os[2], os[3], max);
        int in = asLayout(x, Layouts.NCHW_TO_NHWC);
        if (pad.explicit() != null) {
            if (max) {
                in = padNhwc(outName, in, pad.explicit(), int8 ? quantRange(w.tensor(in).quant())[0] : -Float.MAX_VALUE);
            } else if (Nodes.intAttr(n, "count_include_pad", 0) == 1) {
                in = padNhwc(outName, in, pad.explicit(), 0f);
            } else {
                throw unsupported(n, "padding that is not TFLite's SAME with count_include_pad=0");
            }
        }
        Tail t = max ? new Tail(outName, TfliteSchema.ACT_NONE, null, null) : tail(outName, false);
        int out = actLike(t.value(), tfShape(shapeOf(t.value()), Layouts.NCHW_TO_NHWC), in);
        op(max ? Op.MAX_POOL_2D : Op.AVERAGE_POOL_2D, new int[] {in}, new int[] {out},
                TfliteOptions.pool(pad.mode(), (int) s[1], (int) s[0], (int) k[1], (int) k[0], t.act()));
        define(t.value(), Layouts.NCHW_TO_NHWC.clone(), out);
    }

    private void globalPool(NodeProto n) {
        Val x = val(n.getInput(0));
        if (x.rank() != 4) {
            throw unsupported(n, "only 2-D global pooling is converted");
        }
        int in = asLayout(x, Layouts.NCHW_TO_NHWC);
        String outName = n.getOutput(0);
        int[] shape = tfShape(shapeOf(outName), Layouts.NCHW_TO_NHWC);
        if (n.getOpType().equals("GlobalMaxPool")) {
            int out = actLike(outName, shape, in);
            op(Op.MAX_POOL_2D, new int[] {in}, new int[] {out},
                    TfliteOptions.pool(TfliteSchema.PADDING_VALID, 1, 1, (int) x.shape[3], (int) x.shape[2], TfliteSchema.ACT_NONE));
            define(outName, Layouts.NCHW_TO_NHWC.clone(), out);
            return;
        }
        // MEAN over H and W: unlike int8 AVERAGE_POOL_2D it may give its output a finer scale than its input's
        int out = act(outName, shape, outQuant(outName));
        op(Op.MEAN, new int[] {in, int32Const(outName + "_axes", new int[] {1, 2}, new int[] {2})}, new int[] {out}, TfliteOptions.reducer(true));
        define(outName, Layouts.NCHW_TO_NHWC.clone(), out);
    }

    private void batchNorm(NodeProto n) {
        Val x = materialized(val(n.getInput(0)));
        if (!n.getInputList().subList(1, 5).stream().allMatch(constants::contains)) {
            throw unsupported(n, "statistics computed at run time");
        }
        float[] g = constFloats(n.getInput(1));
        float[] b = constFloats(n.getInput(2));
        float[] mean = constFloats(n.getInput(3));
        float[] var = constFloats(n.getInput(4));
        float eps = Nodes.floatAttr(n, "epsilon", 1e-5f);
        int c = g.length;
        float[] scale = new float[c];
        float[] shift = new float[c];
        for (int i = 0; i < c; i++) {
            scale[i] = (float) (g[i] / Math.sqrt(var[i] + eps));
            shift[i] = b[i] - mean[i] * scale[i];
        }
        long[] cs = new long[x.rank()];
        Arrays.fill(cs, 1);
        cs[1] = c;
        Val sv = new Val(n.getName() + "_scale", cs);
        sv.constF = scale;
        Val hv = new Val(n.getName() + "_shift", cs);
        hv.constF = shift;
        String outName = n.getOutput(0);
        int[] shape = w.tensor(x.tensor).shape();
        float[] scaled = int8 ? scaledRange(x, scale) : null;
        int mid = act(outName + "_scaled", shape, int8 ? rangeQuant(scaled[0], scaled[1]) : null);
        op(Op.MUL, new int[] {x.tensor, operand(sv, x.perm, null)}, new int[] {mid}, TfliteOptions.arithmetic(Op.MUL, TfliteSchema.ACT_NONE));
        Tail t = tail(outName, false);
        int out = act(t.value(), shape, outQuant(t.value()));
        op(Op.ADD, new int[] {mid, operand(hv, x.perm, null)}, new int[] {out}, TfliteOptions.arithmetic(Op.ADD, t.act()));
        define(t.value(), x.perm, out);
    }

    /** The range of x * scale (over all channels) for the intermediate of a BatchNormalization. */
    private float[] scaledRange(Val x, float[] scale) {
        float[] r = ranges.get(x.name);
        float lo = 0;
        float hi = 0;
        for (float s : scale) {
            lo = Math.min(lo, Math.min(r[0] * s, r[1] * s));
            hi = Math.max(hi, Math.max(r[0] * s, r[1] * s));
        }
        return new float[] {lo, hi};
    }

    /** True when every consumer of a flattened value is a Gemm/MatMul with constant weights taking it as A. */
    private boolean weightsCanAbsorb(String value) {
        if (graphOutputs.contains(value)) {
            return false;
        }
        List<NodeProto> cs = consumers.getOrDefault(value, List.of());
        if (cs.isEmpty()) {
            return false;
        }
        for (NodeProto c : cs) {
            boolean gemm = c.getOpType().equals("Gemm") && c.getInput(0).equals(value) && !c.getInput(1).equals(value)
                    && constants.contains(c.getInput(1)) && Nodes.intAttr(c, "transA", 0) == 0;
            boolean mm = c.getOpType().equals("MatMul") && c.getInput(0).equals(value) && !c.getInput(1).equals(value)
                    && constants.contains(c.getInput(1)) && shapeOf(c.getInput(1)).length == 2;
            if (!gemm && !mm) {
                return false;
            }
        }
        return true;
    }

    private void reshape(NodeProto n) {
        Val x = val(n.getInput(0));
        String outName = n.getOutput(0);
        long[] os = shapeOf(outName);
        int[] target = tfShape(os, identity(os.length));
        boolean flattenLike = x.rank() == 4 && Arrays.equals(x.perm, Layouts.NCHW_TO_NHWC) && os.length == 2 && os[0] == x.shape[0] && x.featurePerm == null;
        if (flattenLike) {
            int c = (int) x.shape[1];
            int hw = (int) (x.shape[2] * x.shape[3]);
            boolean sameOrder = c == 1 || hw == 1;
            if (sameOrder || weightsCanAbsorb(outName)) {
                int out = actLike(outName, target, x.tensor);
                op(Op.RESHAPE, new int[] {x.tensor, int32Const(outName + "_shape", target, new int[] {2})}, new int[] {out}, TfliteOptions.reshape(target));
                Val v = define(outName, identity(2), out);
                if (!sameOrder) {
                    // TFLite column j = (h, w, ch) in HWC order; its ONNX column is ch * H * W + h * W + w
                    int[] fp = new int[c * hw];
                    for (int p = 0; p < hw; p++) {
                        for (int ch = 0; ch < c; ch++) {
                            fp[p * c + ch] = ch * hw + p;
                        }
                    }
                    v.featurePerm = fp;
                    v.flatSource = x;
                }
                return;
            }
        }
        int in;
        if (x.featurePerm == null && pureReshape(tfShape(x.shape, x.perm), tfPermToIdentity(x.perm))) {
            in = x.tensor;   // the data is already in ONNX order
        } else {
            in = asLayout(x, identity(x.rank()));
        }
        int out = actLike(outName, target, in);
        op(Op.RESHAPE, new int[] {in, int32Const(outName + "_shape", target, new int[] {target.length})}, new int[] {out}, TfliteOptions.reshape(target));
        define(outName, identity(os.length), out);
    }

    /** The TFLite-axis permutation that brings a tensor stored with {@code perm} into ONNX order. */
    private static int[] tfPermToIdentity(int[] perm) {
        return Layouts.inverse(perm);
    }

    private void transpose(NodeProto n) {
        Val x = materialized(val(n.getInput(0)));
        int r = x.rank();
        long[] p = longsAttr(n, "perm", null);
        int[] pr = new int[r];
        for (int i = 0; i < r; i++) {
            pr[i] = p == null ? r - 1 - i : (int) p[i];
        }
        int[] pinv = Layouts.inverse(pr);
        int[] outPerm = new int[r];
        for (int k = 0; k < r; k++) {
            outPerm[k] = pinv[x.perm[k]];
        }
        define(n.getOutput(0), outPerm, x.tensor);
    }

    private long[] axesOf(NodeProto n, int rank) {
        long[] axes = longsAttr(n, "axes", null);
        if (axes == null && n.getInputCount() > 1 && !n.getInput(1).isEmpty()) {
            axes = constLongs(n.getInput(1));
        }
        if (axes == null) {
            return null;
        }
        long[] out = new long[axes.length];
        for (int i = 0; i < axes.length; i++) {
            out[i] = axes[i] < 0 ? axes[i] + rank : axes[i];
        }
        return out;
    }

    private void squeeze(NodeProto n) {
        Val x = materialized(val(n.getInput(0)));
        long[] axes = axesOf(n, x.rank());
        Set<Integer> sq = new HashSet<>();
        if (axes == null) {
            for (int i = 0; i < x.rank(); i++) {
                if (x.shape[i] == 1) {
                    sq.add(i);
                }
            }
        } else {
            for (long a : axes) {
                sq.add((int) a);
            }
        }
        List<Integer> dims = new ArrayList<>();
        List<Integer> keep = new ArrayList<>();
        for (int k = 0; k < x.rank(); k++) {
            if (sq.contains(x.perm[k])) {
                dims.add(k);
            } else {
                keep.add(x.perm[k]);
            }
        }
        int[] outPerm = new int[keep.size()];
        for (int i = 0; i < keep.size(); i++) {
            int a = keep.get(i);
            outPerm[i] = a - (int) sq.stream().filter(s -> s < a).count();
        }
        String outName = n.getOutput(0);
        int out = actLike(outName, tfShape(shapeOf(outName), outPerm), x.tensor);
        op(Op.SQUEEZE, new int[] {x.tensor}, new int[] {out}, TfliteOptions.squeeze(dims.stream().mapToInt(Integer::intValue).toArray()));
        define(outName, outPerm, out);
    }

    private void unsqueeze(NodeProto n) {
        Val x = materialized(val(n.getInput(0)));
        String outName = n.getOutput(0);
        long[] os = shapeOf(outName);
        long[] axes = axesOf(n, os.length);
        Set<Integer> added = new HashSet<>();
        for (long a : axes) {
            added.add((int) a);
        }
        // old ONNX axis -> new ONNX axis
        int[] map = new int[x.rank()];
        int j = 0;
        for (int i = 0; i < os.length; i++) {
            if (!added.contains(i)) {
                map[j++] = i;
            }
        }
        List<Integer> order = new ArrayList<>();
        for (int k = 0; k < x.rank(); k++) {
            order.add(map[x.perm[k]]);
        }
        added.stream().sorted().forEach(a -> order.add(Math.min(a, order.size()), a));
        int[] outPerm = order.stream().mapToInt(Integer::intValue).toArray();
        int[] shape = tfShape(os, outPerm);
        int out = actLike(outName, shape, x.tensor);
        op(Op.RESHAPE, new int[] {x.tensor, int32Const(outName + "_shape", shape, new int[] {shape.length})}, new int[] {out}, TfliteOptions.reshape(shape));
        define(outName, outPerm, out);
    }

    private void concat(NodeProto n) {
        String outName = n.getOutput(0);
        long[] os = shapeOf(outName);
        int r = os.length;
        int axis = (int) Nodes.intAttr(n, "axis", 0);
        if (axis < 0) {
            axis += r;
        }
        List<Val> ins = new ArrayList<>();
        for (String i : n.getInputList()) {
            if (!i.isEmpty()) {
                ins.add(val(i));
            }
        }
        int[] perm = identity(r);
        for (Val v : ins) {
            if (!v.isConst() && v.rank() == r && v.featurePerm == null) {
                perm = v.perm;
                break;
            }
        }
        Quant q = null;
        if (int8) {
            float lo = ranges.get(outName)[0];
            float hi = ranges.get(outName)[1];
            for (Val v : ins) {
                float[] rr = ranges.get(v.name);
                if (rr != null) {
                    lo = Math.min(lo, rr[0]);
                    hi = Math.max(hi, rr[1]);
                }
            }
            q = rangeQuant(lo, hi);
        }
        int[] tensors = new int[ins.size()];
        for (int i = 0; i < ins.size(); i++) {
            Val v = ins.get(i);
            int t = v.isConst() ? constTensor(v, perm, q) : asLayout(v, perm);
            if (int8 && !sameQuant(w.tensor(t).quant(), q)) {
                int rq = act(v.name + "_requantized", w.tensor(t).shape(), q);
                op(Op.QUANTIZE, new int[] {t}, new int[] {rq}, TfliteOptions.quantize());
                t = rq;
            }
            tensors[i] = t;
        }
        int tfAxis = 0;
        for (int k = 0; k < r; k++) {
            if (perm[k] == axis) {
                tfAxis = k;
            }
        }
        int out = act(outName, tfShape(os, perm), q);
        op(Op.CONCATENATION, tensors, new int[] {out}, TfliteOptions.concatenation(tfAxis, TfliteSchema.ACT_NONE));
        define(outName, perm, out);
    }

    private static boolean sameQuant(Quant a, Quant b) {
        return a != null && b != null && Arrays.equals(a.scale(), b.scale()) && Arrays.equals(a.zeroPoint(), b.zeroPoint());
    }

    private void pad(NodeProto n) {
        Val x = materialized(val(n.getInput(0)));
        int r = x.rank();
        long[] pads = n.getInputCount() > 1 && !n.getInput(1).isEmpty() ? constLongs(n.getInput(1)) : longsAttr(n, "pads", new long[2 * r]);
        if (n.getInputCount() > 3 && !n.getInput(3).isEmpty()) {
            throw unsupported(n, "the axes input");
        }
        float value = n.getInputCount() > 2 && !n.getInput(2).isEmpty() ? constFloats(n.getInput(2))[0] : Nodes.floatAttr(n, "value", 0f);
        int[] paddings = new int[2 * r];
        for (int k = 0; k < r; k++) {
            int a = x.perm[k];
            paddings[2 * k] = (int) pads[a];
            paddings[2 * k + 1] = (int) pads[a + r];
            if (pads[a] < 0 || pads[a + r] < 0) {
                throw unsupported(n, "negative padding (cropping)");
            }
        }
        String outName = n.getOutput(0);
        int out = actLike(outName, tfShape(shapeOf(outName), x.perm), x.tensor);
        int pt = int32Const(outName + "_paddings", paddings, new int[] {r, 2});
        if (value == 0) {
            op(Op.PAD, new int[] {x.tensor, pt}, new int[] {out}, TfliteOptions.pad());
        } else {
            int v = int8 ? int8Const(outName + "_value", new float[] {value}, new int[0], w.tensor(x.tensor).quant())
                    : float32Const(outName + "_value", new float[] {value}, new int[0]);
            op(Op.PADV2, new int[] {x.tensor, pt, v}, new int[] {out}, TfliteOptions.padV2());
        }
        define(outName, x.perm, out);
    }

    private void softmax(NodeProto n) {
        Val x = materialized(val(n.getInput(0)));
        int r = x.rank();
        int axis = (int) Nodes.intAttr(n, "axis", model.opset() >= 13 ? -1 : 1);
        if (axis < 0) {
            axis += r;
        }
        if (model.opset() < 13 && axis != r - 1) {
            throw unsupported(n, "softmax over axes " + axis + ".." + (r - 1) + " at once (opset " + model.opset() + ")");
        }
        int[] perm = x.perm;
        if (perm[r - 1] != axis) {
            perm = identity(r);
            if (axis != r - 1) {
                perm[axis] = r - 1;
                perm[r - 1] = axis;
            }
        }
        int in = asLayout(x, perm);
        String outName = n.getOutput(0);
        int out = act(outName, tfShape(shapeOf(outName), perm), int8 ? Quant.perTensor(1f / 256, -128) : null);
        op(Op.SOFTMAX, new int[] {in}, new int[] {out}, TfliteOptions.softmax(1f));
        define(outName, perm, out);
    }

    private void resize(NodeProto n) {
        Val x = val(n.getInput(0));
        String outName = n.getOutput(0);
        long[] os = shapeOf(outName);
        if (x.rank() != 4 || os[0] != x.shape[0] || os[1] != x.shape[1]) {
            throw unsupported(n, "only resizing the two spatial axes of a 4-D tensor is converted");
        }
        String mode = strAttr(n, "mode", "nearest");
        String ctm = strAttr(n, "coordinate_transformation_mode", model.opset() >= 11 ? "half_pixel" : "asymmetric");
        String nearest = strAttr(n, "nearest_mode", "round_prefer_floor");
        boolean align;
        boolean half;
        switch (ctm) {
            case "align_corners" -> {
                align = true;
                half = false;
            }
            case "asymmetric" -> {
                align = false;
                half = false;
            }
            case "half_pixel", "pytorch_half_pixel", "tf_half_pixel_for_nn" -> {
                align = false;
                half = true;
            }
            default -> throw unsupported(n, "coordinate_transformation_mode " + ctm);
        }
        boolean linear = mode.equals("linear") || mode.equals("bilinear");
        if (!linear && ctm.equals("asymmetric") && !nearest.equals("floor")) {
            throw unsupported(n, "nearest_mode " + nearest + " with asymmetric coordinates (TFLite floors)");
        }
        int in = asLayout(x, Layouts.NCHW_TO_NHWC);
        int size = int32Const(outName + "_size", new int[] {(int) os[2], (int) os[3]}, new int[] {2});
        int out = actLike(outName, tfShape(os, Layouts.NCHW_TO_NHWC), in);
        if (linear) {
            op(Op.RESIZE_BILINEAR, new int[] {in, size}, new int[] {out}, TfliteOptions.resizeBilinear(align, half));
        } else {
            op(Op.RESIZE_NEAREST_NEIGHBOR, new int[] {in, size}, new int[] {out}, TfliteOptions.resizeNearest(align, half));
        }
        define(outName, Layouts.NCHW_TO_NHWC.clone(), out);
    }

    /**
     * ConvTranspose (2-D, one group, no dilation) as TRANSPOSE_CONV with weights [out, kh, kw, in]: VALID when nothing
     * is cropped from the full output ((in - 1) x stride + kernel), SAME when the output is in x stride and the pads
     * are TFLite's (kernel - stride, the smaller half first); other croppings and output_padding are refused.
     */
    private void convTranspose(NodeProto n) {
        Val x = val(n.getInput(0));
        Val wv = val(n.getInput(1));
        if (wv.rank() != 4 || x.rank() != 4) {
            throw unsupported(n, "only 2-D transposed convolutions are converted");
        }
        int ci = (int) wv.shape[0];
        int o = (int) wv.shape[1];
        int kh = (int) wv.shape[2];
        int kw = (int) wv.shape[3];
        long[] strides = longsAttr(n, "strides", new long[] {1, 1});
        long[] pads = longsAttr(n, "pads", new long[4]);
        String outName = n.getOutput(0);
        long[] os = shapeOf(outName);
        int[] in = {(int) x.shape[2], (int) x.shape[3]};
        int[] k = {kh, kw};
        int[] out = {(int) os[2], (int) os[3]};
        boolean valid = true;
        boolean same = true;
        for (int d = 0; d < 2; d++) {
            int s = (int) strides[d];
            valid &= pads[d] == 0 && pads[d + 2] == 0 && out[d] == (in[d] - 1) * s + k[d];
            same &= out[d] == in[d] * s && k[d] >= s && pads[d] == (k[d] - s) / 2;
        }
        if (!valid && !same) {
            throw unsupported(n, "padding or output_padding that TFLite's SAME and VALID do not express");
        }
        int input = asLayout(x, Layouts.NCHW_TO_NHWC);
        float[] ohwi = Layouts.permute(wv.constF, wv.shape, new int[] {1, 2, 3, 0});
        String base = n.getName().isEmpty() ? outName : n.getName();
        float[][] scales = new float[1][];
        int wt;
        if (precision == TflitePrecision.INT8_WEIGHTS) {
            // TFLite's hybrid TRANSPOSE_CONV reads one weight scale: keep this layer's weights in float
            wt = float32Const(base + "_weights", ohwi, new int[] {o, kh, kw, ci});
            notes.add("'" + base + "' (ConvTranspose) keeps float32 weights: TFLite's hybrid TRANSPOSE_CONV takes no per-channel scales");
        } else {
            wt = weights(base + "_weights", ohwi, new int[] {o, kh, kw, ci}, 0, scales);
        }
        float[] b = n.getInputCount() > 2 && !n.getInput(2).isEmpty() ? val(n.getInput(2)).constF.clone() : new float[o];
        int bt = bias(base + "_bias", b, input, scales[0]);
        int[] nhwcOut = tfShape(os, Layouts.NCHW_TO_NHWC);
        int t = act(outName, nhwcOut, outQuant(outName));
        op(Op.TRANSPOSE_CONV, new int[] {int32Const(base + "_output_shape", nhwcOut, new int[] {4}), wt, input, bt}, new int[] {t},
                TfliteOptions.transposeConv(valid ? TfliteSchema.PADDING_VALID : TfliteSchema.PADDING_SAME, (int) strides[1], (int) strides[0]));
        define(outName, Layouts.NCHW_TO_NHWC.clone(), t);
    }

    /** ONNX Slice (attributes before opset 10, constant inputs from 10 on) as SLICE, or STRIDED_SLICE for steps other than 1. */
    private void slice(NodeProto n) {
        Val x = materialized(val(n.getInput(0)));
        int r = x.rank();
        long[] starts;
        long[] ends;
        long[] axes;
        long[] steps = null;
        if (model.opset() < 10) {
            starts = longsAttr(n, "starts", null);
            ends = longsAttr(n, "ends", null);
            axes = longsAttr(n, "axes", null);
        } else {
            starts = constLongs(n.getInput(1));
            ends = constLongs(n.getInput(2));
            axes = n.getInputCount() > 3 && !n.getInput(3).isEmpty() ? constLongs(n.getInput(3)) : null;
            steps = n.getInputCount() > 4 && !n.getInput(4).isEmpty() ? constLongs(n.getInput(4)) : null;
        }
        int[] begin = new int[r];
        int[] end = new int[r];
        int[] stride = new int[r];
        for (int a = 0; a < r; a++) {
            end[a] = (int) x.shape[a];
            stride[a] = 1;
        }
        boolean strided = false;
        for (int i = 0; i < starts.length; i++) {
            int a = (int) (axes == null ? i : axes[i] < 0 ? axes[i] + r : axes[i]);
            long dim = x.shape[a];
            long st = steps == null ? 1 : steps[i];
            if (st <= 0) {
                throw unsupported(n, "steps below 1 (reversing)");
            }
            long b = starts[i] < 0 ? starts[i] + dim : starts[i];
            long e = ends[i] < 0 ? ends[i] + dim : ends[i];
            begin[a] = (int) Math.max(0, Math.min(dim, b));
            end[a] = (int) Math.max(begin[a], Math.min(dim, e));
            stride[a] = (int) st;
            strided |= st != 1;
        }
        String outName = n.getOutput(0);
        int[] perm = x.perm;
        int[] tb = new int[r];
        int[] te = new int[r];
        int[] ts = new int[r];
        int[] size = new int[r];
        for (int k = 0; k < r; k++) {
            tb[k] = begin[perm[k]];
            te[k] = end[perm[k]];
            ts[k] = stride[perm[k]];
            size[k] = te[k] - tb[k];
        }
        int out = actLike(outName, tfShape(shapeOf(outName), perm), x.tensor);
        int bt = int32Const(outName + "_begin", tb, new int[] {r});
        if (strided) {
            op(Op.STRIDED_SLICE, new int[] {x.tensor, bt, int32Const(outName + "_end", te, new int[] {r}), int32Const(outName + "_strides", ts, new int[] {r})},
                    new int[] {out}, TfliteOptions.stridedSlice());
        } else {
            op(Op.SLICE, new int[] {x.tensor, bt, int32Const(outName + "_size", size, new int[] {r})}, new int[] {out}, TfliteOptions.slice());
        }
        define(outName, perm, out);
    }

    /** Equal of two float values: EQUAL, whose output is a bool tensor (a Cast back to float is the usual consumer). */
    private void equal(NodeProto n) {
        Val a = val(n.getInput(0));
        Val b = val(n.getInput(1));
        String outName = n.getOutput(0);
        long[] os = shapeOf(outName);
        int[] perm = identity(os.length);
        for (Val v : List.of(a, b)) {
            if (!v.isConst() && v.rank() == os.length && v.featurePerm == null) {
                perm = v.perm;
                break;
            }
        }
        Val first = a.isConst() ? b : a;
        Val second = a.isConst() ? a : b;
        int t1 = operand(first, perm, null);
        int t2 = operand(second, perm, int8 ? w.tensor(t1).quant() : null);
        int out = w.addTensor(outName, tfShape(os, perm), TfliteSchema.BOOL, null, null);
        op(Op.EQUAL, a.isConst() ? new int[] {t2, t1} : new int[] {t1, t2}, new int[] {out}, TfliteOptions.equal());
        define(outName, perm, out);
    }

    /** Cast to float: nothing for a float value, CAST for a bool one (then QUANTIZE in full-integer models). */
    private void cast(NodeProto n) {
        Val x = val(n.getInput(0));
        String outName = n.getOutput(0);
        DType from = dtypes.getOrDefault(n.getInput(0), DType.FLOAT);
        if (from == DType.FLOAT) {
            vals.put(outName, alias(x, outName));
            return;
        }
        if (from != DType.BOOL) {
            throw unsupported(n, "a cast from " + from.label() + " computed at run time");
        }
        int[] shape = w.tensor(x.tensor).shape();
        int f = w.addTensor(int8 ? outName + "_float" : outName, shape, TfliteSchema.FLOAT32, null, null);
        op(Op.CAST, new int[] {x.tensor}, new int[] {f}, TfliteOptions.cast(TfliteSchema.BOOL, TfliteSchema.FLOAT32));
        int out = f;
        if (int8) {
            out = act(outName, shape, outQuant(outName));
            op(Op.QUANTIZE, new int[] {f}, new int[] {out}, TfliteOptions.quantize());
        }
        define(outName, x.perm, out);
    }

    /** HardSigmoid max(0, min(1, alpha x + beta)) as MUL by 6 alpha, ADD of 6 beta with a fused RELU6, MUL by 1/6. */
    private void hardSigmoid(NodeProto n) {
        Val x = materialized(val(n.getInput(0)));
        float alpha = Nodes.floatAttr(n, "alpha", 0.2f);
        float beta = Nodes.floatAttr(n, "beta", 0.5f);
        String outName = n.getOutput(0);
        int[] shape = w.tensor(x.tensor).shape();
        float k = 6 * alpha;
        Quant scaledQ = null;
        if (int8) {
            float[] r = ranges.get(x.name);
            scaledQ = rangeQuant(Math.min(r[0] * k, r[1] * k), Math.max(r[0] * k, r[1] * k));
        }
        int scaled = act(outName + "_x6", shape, scaledQ);
        op(Op.MUL, new int[] {x.tensor, floatConst(outName + "_6alpha", new float[] {k}, new int[0], null)}, new int[] {scaled},
                TfliteOptions.arithmetic(Op.MUL, TfliteSchema.ACT_NONE));
        int six = act(outName + "_relu6", shape, int8 ? rangeQuant(0, 6) : null);
        op(Op.ADD, new int[] {scaled, floatConst(outName + "_6beta", new float[] {6 * beta}, new int[0], null)}, new int[] {six},
                TfliteOptions.arithmetic(Op.ADD, TfliteSchema.ACT_RELU6));
        int out = act(outName, shape, int8 ? rangeQuant(0, 1) : null);
        op(Op.MUL, new int[] {six, floatConst(outName + "_sixth", new float[] {1f / 6}, new int[0], null)}, new int[] {out},
                TfliteOptions.arithmetic(Op.MUL, TfliteSchema.ACT_NONE));
        define(outName, x.perm, out);
    }

    /** ReduceMean as MEAN over the same axes in the tensor's TFLite order. */
    private void reduceMean(NodeProto n) {
        Val x = materialized(val(n.getInput(0)));
        int r = x.rank();
        long[] axes = axesOf(n, r);
        Set<Integer> red = new HashSet<>();
        if (axes == null || axes.length == 0) {
            for (int a = 0; a < r; a++) {
                red.add(a);
            }
        } else {
            for (long a : axes) {
                red.add((int) a);
            }
        }
        boolean keep = Nodes.intAttr(n, "keepdims", 1) == 1;
        List<Integer> tfAxes = new ArrayList<>();
        List<Integer> kept = new ArrayList<>();
        for (int k = 0; k < r; k++) {
            if (red.contains(x.perm[k])) {
                tfAxes.add(k);
            } else {
                kept.add(x.perm[k]);
            }
        }
        int[] outPerm;
        if (keep) {
            outPerm = x.perm.clone();
        } else {
            outPerm = new int[kept.size()];
            for (int i = 0; i < kept.size(); i++) {
                int a = kept.get(i);
                outPerm[i] = a - (int) red.stream().filter(q -> q < a).count();
            }
        }
        String outName = n.getOutput(0);
        int out = act(outName, tfShape(shapeOf(outName), outPerm), outQuant(outName));
        int[] ax = tfAxes.stream().mapToInt(Integer::intValue).toArray();
        op(Op.MEAN, new int[] {x.tensor, int32Const(outName + "_axes", ax, new int[] {ax.length})}, new int[] {out}, TfliteOptions.reducer(keep));
        define(outName, outPerm, out);
    }

    /** Pow by a constant exponent: 1 is nothing, 2 a MUL of the value with itself, 0.5 SQRT. */
    private void pow(NodeProto n) {
        Val x = materialized(val(n.getInput(0)));
        float[] e = constFloats(n.getInput(1));
        String outName = n.getOutput(0);
        if (e.length != 1 || !(e[0] == 1f || e[0] == 2f || e[0] == 0.5f)) {
            throw unsupported(n, "exponent " + (e.length == 1 ? e[0] : "of " + e.length + " values") + " (1, 2 and 0.5 are converted)");
        }
        if (e[0] == 1f) {
            vals.put(outName, alias(x, outName));
        } else if (e[0] == 0.5f) {
            floatOnly(n, Op.SQRT, x);
        } else {
            int out = act(outName, w.tensor(x.tensor).shape(), outQuant(outName));
            op(Op.MUL, new int[] {x.tensor, x.tensor}, new int[] {out}, TfliteOptions.arithmetic(Op.MUL, TfliteSchema.ACT_NONE));
            define(outName, x.perm, out);
        }
    }

    /** A one-input operator TFLite runs in float only: between DEQUANTIZE and QUANTIZE in full-integer models. */
    private void floatOnly(NodeProto n, Op op, Val x) {
        String outName = n.getOutput(0);
        int[] shape = w.tensor(x.tensor).shape();
        int in = int8 ? dequantized(x.tensor) : x.tensor;
        int f = w.addTensor(int8 ? outName + "_float" : outName, shape, TfliteSchema.FLOAT32, null, null);
        op(op, new int[] {in}, new int[] {f}, null);
        int out = f;
        if (int8) {
            out = act(outName, shape, outQuant(outName));
            op(Op.QUANTIZE, new int[] {f}, new int[] {out}, TfliteOptions.quantize());
            notes.add("'" + n.getName() + "' (" + n.getOpType() + ") runs in float32 between DEQUANTIZE and QUANTIZE");
        }
        define(outName, x.perm, out);
    }

    static String describeOps(List<Op> ops) {
        return String.join(", ", ops.stream().map(o -> o.name().toLowerCase(Locale.ROOT)).toList());
    }
}
