package dev.edgefit.data;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.edgefit.common.EdgeFitException;
import dev.edgefit.model.DType;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.TensorSpec;
import dev.edgefit.runtime.Tensor;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Makes model inputs from the input signature when the user gives no data: float inputs get standard
 * normal values clipped to [-3, 3]; token ids are uniform in [0, vocabulary) (the vocabulary read from the
 * embedding table the ids index); attention masks are ones; token types are zeros. Dynamic dimensions
 * default to batch 1 and sequence 128, and a user may fix any input's shape.
 */
public final class InputGenerator {
    public static final long DEFAULT_BATCH = 1;
    public static final long DEFAULT_SEQUENCE = 128;

    private final List<TensorSpec> specs;
    private final Map<String, Long> vocab;
    private final Map<String, long[]> shapeOverrides;

    public InputGenerator(ModelSnapshot model, Map<String, long[]> shapeOverrides) {
        this.specs = model.inputs();
        this.vocab = vocabularies(model);
        this.shapeOverrides = Map.copyOf(shapeOverrides);
        for (String name : shapeOverrides.keySet()) {
            if (specs.stream().noneMatch(s -> s.name().equals(name))) {
                throw EdgeFitException.badParameter("The model has no input named '" + name + "'; its inputs are "
                        + specs.stream().map(TensorSpec::name).toList() + ".");
            }
        }
    }

    public List<TensorSpec> specs() {
        return specs;
    }

    /** The concrete shape used for an input: the override, else the model's shape with defaults for dynamic dims. */
    public long[] concreteShape(TensorSpec s) {
        long[] o = shapeOverrides.get(s.name());
        if (o != null) {
            if (o.length != s.shape().length) {
                throw EdgeFitException.badParameter("Input '" + s.name() + "' has " + s.shape().length + " dimensions ("
                        + s.shapeText() + "), but the shape given has " + o.length + ".");
            }
            long[] sh = s.shape();
            for (int i = 0; i < o.length; i++) {
                if (sh[i] >= 0 && sh[i] != o[i]) {
                    throw EdgeFitException.badParameter("Input '" + s.name() + "' has a fixed size " + sh[i] + " at axis " + i
                            + " (" + s.shapeText() + "), not " + o[i] + ".");
                }
            }
            return o.clone();
        }
        long[] sh = s.shape();
        for (int i = 0; i < sh.length; i++) {
            if (sh[i] < 0) {
                String n = i < s.dimNames().size() ? s.dimNames().get(i).toLowerCase(Locale.ROOT) : "";
                sh[i] = (i == 0 || n.contains("batch") || n.equals("n")) ? DEFAULT_BATCH : DEFAULT_SEQUENCE;
            }
        }
        return sh;
    }

    /** One set of inputs, deterministic for a seed. */
    public Map<String, Tensor> generate(long seed) {
        Random rnd = new Random(seed);
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (TensorSpec s : specs) {
            long[] shape = concreteShape(s);
            int n = Math.toIntExact(Arrays.stream(shape).reduce(1, (a, b) -> a * b));
            String name = s.name().toLowerCase(Locale.ROOT);
            out.put(s.name(), switch (s.dtype()) {
                case FLOAT -> {
                    float[] f = new float[n];
                    for (int i = 0; i < n; i++) {
                        f[i] = (float) Math.max(-3, Math.min(3, rnd.nextGaussian()));
                    }
                    yield Tensor.of(f, shape);
                }
                case INT64, INT32 -> {
                    long[] v = new long[n];
                    if (name.contains("mask")) {
                        Arrays.fill(v, 1);
                    } else if (name.contains("token_type") || name.contains("segment")) {
                        Arrays.fill(v, 0);
                    } else if (name.contains("position")) {
                        long last = shape.length == 0 ? 1 : shape[shape.length - 1];
                        for (int i = 0; i < n; i++) {
                            v[i] = i % last;
                        }
                    } else {
                        long vocabSize = vocab.getOrDefault(s.name(), 2L);
                        for (int i = 0; i < n; i++) {
                            v[i] = (long) (rnd.nextDouble() * vocabSize);
                        }
                    }
                    if (s.dtype() == DType.INT32) {
                        int[] a = new int[n];
                        for (int i = 0; i < n; i++) {
                            a[i] = (int) v[i];
                        }
                        yield Tensor.of(a, shape);
                    }
                    yield Tensor.of(v, shape);
                }
                case BOOL -> {
                    byte[] b = new byte[n];
                    Arrays.fill(b, (byte) 1);
                    yield new Tensor(DType.BOOL, shape, b);
                }
                default -> throw EdgeFitException.badParameter("Input '" + s.name() + "' has type " + s.dtype().label()
                        + ", for which EdgeFit cannot make inputs yet; give data instead.");
            });
        }
        return out;
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
