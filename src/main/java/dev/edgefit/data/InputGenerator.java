package dev.edgefit.data;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.edgefit.common.EdgeFitException;
import dev.edgefit.model.DType;
import dev.edgefit.model.Half;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.TensorSpec;
import dev.edgefit.runtime.Tensor;

import java.math.BigDecimal;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Makes model inputs from the input signature when the user gives no data.
 *
 * <p>Values: float inputs get standard normal values clipped to [-3, 3] (audio-like inputs a third of that);
 * token ids are uniform in [0, vocabulary) (the vocabulary read from the embedding table the ids index); attention
 * masks and bool inputs are ones; token types are zeros; uint8 inputs are uniform in 0..255 (image-like) and int8
 * in -128..127; recurrent state inputs ({@code h}, {@code c}, {@code state}, {@code hidden}, {@code *_state}) are
 * zeros, as a stream starts; an integer input of one element named like a sample rate ({@code sr},
 * {@code sample_rate}, {@code rate}) is {@value #DEFAULT_SAMPLE_RATE}, and any other integer scalar
 * {@value #DEFAULT_SCALAR_INT}.
 *
 * <p>Dynamic dimensions are resolved across inputs: a dimension whose name another input's dimension has takes the
 * same value (the user's, where the user fixed that input); a batch axis (the first axis, or one named like
 * "batch") and every dynamic axis of a state input take the batch the other inputs use ({@value #DEFAULT_BATCH} by
 * default); the sample axis of an audio-like float input (rank 1 or 2, named like input/audio/waveform/pcm/samples,
 * or in a model with a sample-rate input) is 32 ms of audio, {@value #AUDIO_MS} ms at the sample rate (512 samples at
 * 16 kHz, 256 at 8 kHz: the windows Silero VAD takes); every other dynamic axis is {@value #DEFAULT_SEQUENCE}.
 *
 * <p>The user may fix any input's shape and any input's value ({@link InputOverrides}); fixed values override
 * generated ones for that input. Everything is deterministic for a seed.
 */
public final class InputGenerator {
    public static final long DEFAULT_BATCH = 1;
    public static final long DEFAULT_SEQUENCE = 128;
    public static final long DEFAULT_SAMPLE_RATE = 16_000;
    public static final long DEFAULT_SCALAR_INT = 1;
    public static final int AUDIO_MS = 32;

    private static final Set<String> AUDIO_NAMES = Set.of("input", "inputs", "audio", "waveform", "waveforms", "wave", "wav", "pcm",
            "samples", "signal", "speech");
    private static final Set<String> RATE_NAMES = Set.of("sr", "sample_rate", "samplerate", "sampling_rate", "rate");
    private static final Set<String> STATE_NAMES = Set.of("h", "c", "h0", "c0", "state", "states", "hidden", "hidden_state");

    private final List<TensorSpec> specs;
    private final Map<String, Long> vocab;
    private final InputOverrides fixed;
    private final Map<String, long[]> shapes = new HashMap<>();
    private final Map<String, Tensor> fixedValues = new HashMap<>();
    private final long sampleRate;

    public InputGenerator(ModelSnapshot model, Map<String, long[]> shapeOverrides) {
        this(model, InputOverrides.ofShapes(shapeOverrides));
    }

    public InputGenerator(ModelSnapshot model, InputOverrides fixed) {
        this(model.inputs(), vocabularies(model), fixed);
    }

    /** For a signature alone (no graph to read vocabularies from). */
    public InputGenerator(List<TensorSpec> specs, InputOverrides fixed) {
        this(specs, Map.of(), fixed);
    }

    private InputGenerator(List<TensorSpec> specs, Map<String, Long> vocab, InputOverrides fixed) {
        this.specs = List.copyOf(specs);
        this.vocab = vocab;
        this.fixed = fixed;
        for (String name : fixed.names()) {
            if (specs.stream().noneMatch(s -> s.name().equals(name))) {
                throw EdgeFitException.badParameter("The model has no input named '" + name + "'; its inputs are "
                        + String.join(", ", specs.stream().map(TensorSpec::name).toList()) + ".");
            }
        }
        this.sampleRate = sampleRate();
        resolveShapes();
        for (TensorSpec s : specs) {
            InputOverrides.Value v = fixed.values().get(s.name());
            if (v != null) {
                fixedValues.put(s.name(), convert(s, v, shapes.get(s.name())));
            }
        }
    }

    public List<TensorSpec> specs() {
        return specs;
    }

    /** The concrete shape used for an input: fixed by the user, else the model's shape with its dynamic axes resolved. */
    public long[] concreteShape(TensorSpec s) {
        long[] sh = shapes.get(s.name());
        if (sh != null) {
            return sh.clone();
        }
        // an input outside the signature this generator was made for: resolved on its own
        sh = s.shape();
        for (int i = 0; i < sh.length; i++) {
            if (sh[i] < 0) {
                sh[i] = isBatchAxis(s, i) ? DEFAULT_BATCH : DEFAULT_SEQUENCE;
            }
        }
        return sh;
    }

    /** One set of inputs, deterministic for a seed. */
    public Map<String, Tensor> generate(long seed) {
        Random rnd = new Random(seed);
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (TensorSpec s : specs) {
            Tensor f = fixedValues.get(s.name());
            out.put(s.name(), f != null ? f : generated(s, shapes.get(s.name()).clone(), rnd));
        }
        return out;
    }

    /** In a few words, what {@link #generate} puts in an input (the user's fixed value, or what is generated). */
    public String describe(TensorSpec s) {
        InputOverrides.Value v = fixed.values().get(s.name());
        if (v != null) {
            return v.isScalar() ? "fixed: " + v.text() : "fixed: " + v.text() + " (array)";
        }
        String name = s.name().toLowerCase(Locale.ROOT);
        DType t = s.dtype();
        if (isState(s)) {
            return "zeros (recurrent state)";
        }
        if (t.isFloatingPoint()) {
            return isAudio(s) ? "audio-like noise, N(0, 1/9) clipped" : "N(0, 1) clipped to ±3";
        }
        return switch (t) {
            case INT64, INT32 -> isSampleRate(s) ? sampleRate + " (sample rate)"
                    : name.contains("mask") ? "ones (mask)"
                    : name.contains("token_type") || name.contains("segment") ? "zeros (token types)"
                    : name.contains("position") ? "0, 1, 2, ... (positions)"
                    : s.shape().length == 0 && !vocab.containsKey(s.name()) ? Long.toString(DEFAULT_SCALAR_INT)
                    : "uniform in [0, " + vocab.getOrDefault(s.name(), 2L) + ")";
            case UINT8 -> "uniform in 0..255";
            case INT8 -> "uniform in -128..127";
            case BOOL -> "true";
            default -> "not generated: give a value";
        };
    }

    /** The largest input generated or filled: 2^28 values (1 GiB of float32). */
    public static final long MAX_ELEMENTS = 1L << 28;

    /**
     * The number of values of an input of {@code shape}; a shape whose product overflows or passes {@link #MAX_ELEMENTS}
     * is one sentence: a usage error when the shape was given with --shape, a problem of the model when it declares it.
     */
    private int elements(TensorSpec s, long[] shape) {
        long n = 1;
        boolean over = false;
        for (long d : shape) {
            if (d < 0) {
                over = true;
                break;
            }
            if (d != 0 && n > MAX_ELEMENTS / d) {
                over = true;
                n = Long.MAX_VALUE;
            } else {
                n *= d;
            }
        }
        if (over || n > MAX_ELEMENTS) {
            String text = "input '" + s.name() + "' of shape " + Arrays.toString(shape) + " would hold "
                    + (n == Long.MAX_VALUE || over ? "more than " + MAX_ELEMENTS : Long.toString(n)) + " values; EdgeFit generates inputs of at most "
                    + MAX_ELEMENTS + " values: give a smaller shape with --shape " + s.name() + "=DIMS.";
            if (fixed != null && fixed.shapes().containsKey(s.name())) {
                throw EdgeFitException.badParameter(text);
            }
            throw new EdgeFitException(EdgeFitException.Kind.BAD_MODEL, text);
        }
        return (int) n;
    }

    private Tensor generated(TensorSpec s, long[] shape, Random rnd) {
        int n = elements(s, shape);
        String name = s.name().toLowerCase(Locale.ROOT);
        boolean state = isState(s);
        DType t = s.dtype();
        if (t.isFloatingPoint() && t != DType.BFLOAT16) {
            float[] f = new float[n];
            if (!state) {
                float scale = isAudio(s) ? 1f / 3 : 1f;
                for (int i = 0; i < n; i++) {
                    f[i] = (float) Math.max(-3, Math.min(3, rnd.nextGaussian())) * scale;
                }
            }
            return floats(t, f, shape);
        }
        switch (t) {
            case INT64, INT32 -> {
                long[] v = new long[n];
                if (state) {
                    Arrays.fill(v, 0);
                } else if (isSampleRate(s)) {
                    Arrays.fill(v, sampleRate);
                } else if (name.contains("mask")) {
                    Arrays.fill(v, 1);
                } else if (name.contains("token_type") || name.contains("segment")) {
                    Arrays.fill(v, 0);
                } else if (name.contains("position")) {
                    long last = shape.length == 0 ? 1 : shape[shape.length - 1];
                    for (int i = 0; i < n; i++) {
                        v[i] = i % last;
                    }
                } else if (shape.length == 0 && !vocab.containsKey(s.name())) {
                    v[0] = DEFAULT_SCALAR_INT;
                } else {
                    long vocabSize = vocab.getOrDefault(s.name(), 2L);
                    for (int i = 0; i < n; i++) {
                        v[i] = (long) (rnd.nextDouble() * vocabSize);
                    }
                }
                return integers(t, v, shape);
            }
            case UINT8, INT8 -> {
                byte[] b = new byte[n];
                if (!state) {
                    for (int i = 0; i < n; i++) {
                        b[i] = (byte) (rnd.nextInt(256) + (t == DType.INT8 ? -128 : 0));
                    }
                }
                return new Tensor(t, shape, b);
            }
            case BOOL -> {
                byte[] b = new byte[n];
                Arrays.fill(b, (byte) (state ? 0 : 1));
                return new Tensor(DType.BOOL, shape, b);
            }
            default -> throw EdgeFitException.badParameter("Input '" + s.name() + "' has type " + t.label()
                    + ", for which EdgeFit cannot make inputs yet; give its value with --input " + s.name() + "=FILE.npy or give data.");
        }
    }

    private static Tensor floats(DType t, float[] f, long[] shape) {
        return switch (t) {
            case FLOAT16 -> {
                short[] h = new short[f.length];
                for (int i = 0; i < f.length; i++) {
                    h[i] = Half.fromFloat(f[i]);
                }
                yield new Tensor(DType.FLOAT16, shape, h);
            }
            case DOUBLE -> {
                double[] d = new double[f.length];
                for (int i = 0; i < f.length; i++) {
                    d[i] = f[i];
                }
                yield new Tensor(DType.DOUBLE, shape, d);
            }
            default -> Tensor.of(f, shape);
        };
    }

    private static Tensor integers(DType t, long[] v, long[] shape) {
        return switch (t) {
            case INT32 -> {
                int[] a = new int[v.length];
                for (int i = 0; i < v.length; i++) {
                    a[i] = (int) v[i];
                }
                yield Tensor.of(a, shape);
            }
            case UINT8, INT8, BOOL -> {
                byte[] b = new byte[v.length];
                for (int i = 0; i < v.length; i++) {
                    b[i] = (byte) v[i];
                }
                yield new Tensor(t, shape, b);
            }
            default -> Tensor.of(v, shape);
        };
    }

    // ---- shapes

    private void resolveShapes() {
        Map<String, Long> named = new HashMap<>();
        Long batch = null;
        // first the inputs whose shape the user fixed (by --shape, or by the array given as its value)
        for (TensorSpec s : specs) {
            long[] o = userShape(s);
            if (o == null) {
                continue;
            }
            shapes.put(s.name(), o);
            long[] sh = s.shape();
            for (int i = 0; i < sh.length; i++) {
                if (sh[i] < 0) {
                    String n = dimName(s, i);
                    if (!n.isEmpty()) {
                        named.putIfAbsent(n, o[i]);
                    }
                    if (batch == null && isBatchAxis(s, i) && !isState(s)) {
                        batch = o[i];
                    }
                }
            }
        }
        long b = batch == null ? DEFAULT_BATCH : batch;
        for (TensorSpec s : specs) {
            if (shapes.containsKey(s.name())) {
                continue;
            }
            long[] sh = s.shape();
            boolean audio = isAudio(s);
            for (int i = 0; i < sh.length; i++) {
                if (sh[i] >= 0) {
                    continue;
                }
                String n = dimName(s, i);
                Long v = n.isEmpty() ? null : named.get(n);
                if (v == null) {
                    if (audio && i == sh.length - 1) {
                        v = Math.max(1, sampleRate * AUDIO_MS / 1000);
                    } else if (isBatchAxis(s, i) || isState(s)) {
                        v = b;
                    } else {
                        v = DEFAULT_SEQUENCE;
                    }
                    if (!n.isEmpty()) {
                        named.put(n, v);
                    }
                }
                sh[i] = v;
            }
            shapes.put(s.name(), sh);
        }
    }

    /** The shape the user fixed for an input, checked against the model's; null where the user fixed none. */
    private long[] userShape(TensorSpec s) {
        long[] o = fixed.shapes().get(s.name());
        InputOverrides.Value v = fixed.values().get(s.name());
        if (o != null) {
            checkShape(s, o, "the shape given");
        }
        if (v != null && !v.isScalar()) {
            long[] a = v.array().shape();
            checkShape(s, a, "the array in " + v.text());
            if (o != null && !Arrays.equals(o, a)) {
                throw EdgeFitException.badParameter("Input '" + s.name() + "' is given shape " + dims(o) + ", but the array in " + v.text()
                        + " has shape " + dims(a) + ".");
            }
            return a;
        }
        return o == null ? null : o.clone();
    }

    private static void checkShape(TensorSpec s, long[] o, String what) {
        long[] sh = s.shape();
        if (o.length != sh.length) {
            throw EdgeFitException.badParameter("Input '" + s.name() + "' has " + sh.length + " dimensions (" + shapeText(s) + "), but "
                    + what + " has " + o.length + (o.length > 0 ? " (" + dims(o) + ")" : "") + ".");
        }
        for (int i = 0; i < o.length; i++) {
            if (sh[i] >= 0 && sh[i] != o[i]) {
                throw EdgeFitException.badParameter("Input '" + s.name() + "' has a fixed size " + sh[i] + " at axis " + i
                        + " (" + shapeText(s) + "), but " + what + " has " + o[i] + " (" + dims(o) + ").");
            }
        }
    }

    private static String shapeText(TensorSpec s) {
        return s.shape().length == 0 ? "a scalar" : s.shapeText();
    }

    static String dims(long[] shape) {
        if (shape.length == 0) {
            return "[] (a scalar)";
        }
        StringBuilder b = new StringBuilder();
        for (long d : shape) {
            b.append(b.length() == 0 ? "" : "x").append(d);
        }
        return b.toString();
    }

    private static String dimName(TensorSpec s, int i) {
        String n = i < s.dimNames().size() ? s.dimNames().get(i) : null;
        return n == null ? "" : n.strip();
    }

    private static boolean isBatchAxis(TensorSpec s, int i) {
        String n = dimName(s, i).toLowerCase(Locale.ROOT);
        return i == 0 || n.contains("batch") || n.equals("n");
    }

    // ---- what an input is, from its name and signature

    private static boolean isState(TensorSpec s) {
        String n = s.name().toLowerCase(Locale.ROOT);
        return STATE_NAMES.contains(n) || n.endsWith("_state") || n.startsWith("state_");
    }

    private static boolean isSampleRate(TensorSpec s) {
        return s.dtype().isInteger() && RATE_NAMES.contains(s.name().toLowerCase(Locale.ROOT))
                && Arrays.stream(s.shape()).allMatch(d -> d == 1 || d < 0);
    }

    private boolean hasSampleRateInput() {
        return specs.stream().anyMatch(InputGenerator::isSampleRate);
    }

    private boolean isAudio(TensorSpec s) {
        long[] sh = s.shape();
        if (!s.dtype().isFloatingPoint() || sh.length < 1 || sh.length > 2 || sh[sh.length - 1] >= 0 || isState(s)) {
            return false;
        }
        return AUDIO_NAMES.contains(s.name().toLowerCase(Locale.ROOT)) || hasSampleRateInput();
    }

    /** The sample rate the user gave to the sample-rate input, else {@value #DEFAULT_SAMPLE_RATE}. */
    private long sampleRate() {
        for (TensorSpec s : specs) {
            InputOverrides.Value v = fixed.values().get(s.name());
            if (v != null && isSampleRate(s)) {
                if (v.isScalar()) {
                    try {
                        long r = v.number().longValueExact();
                        if (r > 0) {
                            return r;
                        }
                    } catch (ArithmeticException e) {
                        // not a whole number: refused with the input's name when the value is converted
                    }
                } else if (v.array().size() == 1) {
                    long r = (long) v.array().floats()[0];
                    if (r > 0) {
                        return r;
                    }
                }
            }
        }
        return DEFAULT_SAMPLE_RATE;
    }

    // ---- fixed values

    /** A fixed value as a tensor of the input's type and concrete shape: a number fills it, an array is converted. */
    private static Tensor convert(TensorSpec s, InputOverrides.Value v, long[] shape) {
        DType t = s.dtype();
        String what = "--input " + s.name() + "=" + v.text();
        if (v.isScalar()) {
            long count = 1;
            for (long d : shape) {
                count = d < 0 || (d != 0 && count > MAX_ELEMENTS / d) ? Long.MAX_VALUE : count * d;
            }
            if (count > MAX_ELEMENTS) {
                throw EdgeFitException.badParameter(what + ": input '" + s.name() + "' of shape " + Arrays.toString(shape)
                        + " would hold more than " + MAX_ELEMENTS + " values; give a smaller shape with --shape.");
            }
            int n = (int) count;
            BigDecimal x = v.number();
            if (t.isFloatingPoint() && t != DType.BFLOAT16) {
                float[] f = new float[n];
                Arrays.fill(f, x.floatValue());
                return floats(t, f, shape);
            }
            if (t.isInteger() || t == DType.BOOL) {
                long[] l = new long[n];
                Arrays.fill(l, whole(what, s, x.doubleValue(), x));
                return integers(t, l, shape);
            }
        } else {
            Tensor a = v.array();
            if (a.dtype() == t) {
                return new Tensor(t, shape, a.data());
            }
            if (t.isFloatingPoint() && t != DType.BFLOAT16) {
                return floats(t, a.floats(), shape);
            }
            if (t.isInteger() || t == DType.BOOL) {
                long[] l;
                if (a.data() instanceof long[] src) {
                    l = src.clone();
                    for (long e : l) {
                        range(what, s, e);
                    }
                } else {
                    float[] f = a.floats();
                    l = new long[f.length];
                    for (int i = 0; i < f.length; i++) {
                        l[i] = whole(what, s, f[i], null);
                    }
                }
                return integers(t, l, shape);
            }
        }
        throw EdgeFitException.badParameter(what + ": input '" + s.name() + "' has type " + t.label() + ", which EdgeFit cannot feed yet.");
    }

    private static long whole(String what, TensorSpec s, double d, BigDecimal exact) {
        long l;
        try {
            l = exact != null ? exact.longValueExact() : (long) d;
        } catch (ArithmeticException e) {
            throw EdgeFitException.badParameter(what + ": input '" + s.name() + "' has type " + s.dtype().label()
                    + " and takes whole numbers, not " + exact.toPlainString() + ".");
        }
        if (exact == null && l != d) {
            throw EdgeFitException.badParameter(what + ": input '" + s.name() + "' has type " + s.dtype().label()
                    + " and takes whole numbers, but the array holds " + d + ".");
        }
        return range(what, s, l);
    }

    private static long range(String what, TensorSpec s, long l) {
        long[] r = switch (s.dtype()) {
            case UINT8 -> new long[] {0, 255};
            case INT8 -> new long[] {-128, 127};
            case BOOL -> new long[] {0, 1};
            case INT32 -> new long[] {Integer.MIN_VALUE, Integer.MAX_VALUE};
            default -> new long[] {Long.MIN_VALUE, Long.MAX_VALUE};
        };
        if (l < r[0] || l > r[1]) {
            throw EdgeFitException.badParameter(what + ": input '" + s.name() + "' has type " + s.dtype().label() + ", which holds "
                    + r[0] + " to " + r[1] + ", not " + l + ".");
        }
        return l;
    }

    /** For integer inputs that index an embedding table (Gather), the table's row count. */
    private static Map<String, Long> vocabularies(ModelSnapshot model) {
        Map<String, Long> m = new LinkedHashMap<>();
        for (TensorSpec in : model.inputs()) {
            if (!in.dtype().isInteger()) {
                continue;
            }
            for (NodeProto n : model.graph().getNodeList()) {
                if (n.getOpType().equals("Gather") && n.getInputCount() > 1 && n.getInput(1).equals(in.name())) {
                    TensorProto table = model.initializers().get(n.getInput(0));
                    if (table != null && table.getDimsCount() > 0) {
                        m.merge(in.name(), table.getDims(0), Math::min);
                    }
                }
            }
        }
        return m;
    }
}
