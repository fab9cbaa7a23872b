package dev.edgefit.compress;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.edgefit.model.DType;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.Nodes;
import dev.edgefit.model.Tensors;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads a layer's weights back out of a snapshot as the runtime computes with them, whichever technique stored them:
 * float32 or float16 initializers, float16 with a Cast back to float32 ({@code fp16}), int8 with scales and zero points
 * through DequantizeLinear ({@code int8-static}), int8 MatMulInteger/ConvInteger weights with the scales multiplied in
 * after the integer product ({@code int8-dynamic}), int8 embedding tables with a float16 scale per row gathered beside
 * them ({@code int8-dynamic}), 4-bit MatMulNBits blocks ({@code int4}) and packed sign bits with a scale per channel
 * ({@code binary}).
 *
 * <p>A layer is named by its node: techniques keep the node's name, or derive the new node's name from it
 * ({@code <name>_quant} for MatMulInteger and ConvInteger, {@code <name>_Q4} for MatMulNBits, {@code <name>_q} for the
 * Gather of an int8 embedding table), so the same layer can be read from the original and from any step. An embedding
 * layer is a Gather whose table (input 0) is a 2-D initializer; its rows are its channels.
 */
public final class WeightReader {
    private static final Set<String> WEIGHTED = Set.of("Conv", "ConvTranspose", "MatMul", "Gemm", "ConvInteger", "MatMulInteger", "MatMulNBits",
            "Gather");

    private WeightReader() {
    }

    /**
     * A layer's weights: the values the runtime multiplies by, in the layout stored in the model ({@code shape}), the
     * axis of its output channels in that layout (-1 if it has none), and how they are stored.
     */
    public record Weights(String layer, String node, String opType, String form, long[] shape, int channelAxis, float[] values) {
        public Weights {
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        public int channels() {
            return channelAxis < 0 ? 1 : (int) shape[channelAxis];
        }

        /** Distinct values among all the weights. */
        public int distinctValues() {
            return distinct(values, 0, values.length, 1);
        }

        /** Distinct values among {@code count} weights from {@code start}, {@code stride} apart (-0 counts as 0). */
        private static int distinct(float[] v, int start, int count, int stride) {
            int[] bits = new int[count];
            for (int i = 0; i < count; i++) {
                float x = v[start + i * stride];
                bits[i] = Float.floatToIntBits(x == 0f ? 0f : x);
            }
            java.util.Arrays.sort(bits);
            int n = count == 0 ? 0 : 1;
            for (int i = 1; i < count; i++) {
                if (bits[i] != bits[i - 1]) {
                    n++;
                }
            }
            return n;
        }

        /** The largest number of distinct values in one output channel (all the weights when there is no channel axis). */
        public int maxDistinctPerChannel() {
            int channels = channels();
            if (channels <= 1) {
                return distinctValues();
            }
            int inner = 1;
            for (int d = channelAxis + 1; d < shape.length; d++) {
                inner *= (int) shape[d];
            }
            // element i belongs to channel (i / inner) % channels: per channel, blocks of `inner` values, `outer` of them
            int outer = values.length / (inner * channels);
            float[] one = new float[outer * inner];
            int max = 0;
            for (int c = 0; c < channels; c++) {
                for (int o = 0; o < outer; o++) {
                    System.arraycopy(values, (o * channels + c) * inner, one, o * inner, inner);
                }
                max = Math.max(max, distinct(one, 0, one.length, 1));
            }
            return max;
        }

        /** One line: the stored form and how many distinct values the weights take. */
        public String describe() {
            int distinct = distinctValues();
            String overall = String.format(Locale.ROOT, "%,d distinct values in %,d weights", distinct, values.length);
            if (channels() <= 1) {
                return form + ": " + overall;
            }
            String unit = opType.equals("Gather") ? "row" : "output channel";
            return String.format(Locale.ROOT, "%s: at most %,d distinct values per %s (%,d %ss), %s", form,
                    maxDistinctPerChannel(), unit, channels(), unit.equals("row") ? "row" : "channel", overall);
        }
    }

    /** The layers whose weights can be read, in graph order (names as the original model has them). */
    public static List<String> layers(ModelSnapshot m) {
        Set<String> out = new LinkedHashSet<>();
        Context ctx = new Context(m);
        for (NodeProto n : m.graph().getNodeList()) {
            if (WEIGHTED.contains(n.getOpType()) && decode(ctx, n) != null) {
                out.add(layerName(n));
            }
        }
        return List.copyOf(out);
    }

    /** The weights of a layer, or empty when the snapshot has no such layer or stores its weights in a form not read here. */
    public static Optional<Weights> read(ModelSnapshot m, String layer) {
        Context ctx = new Context(m);
        for (NodeProto n : m.graph().getNodeList()) {
            if (WEIGHTED.contains(n.getOpType()) && layerName(n).equals(layer)) {
                Weights w = decode(ctx, n);
                if (w != null) {
                    return Optional.of(w);
                }
            }
        }
        return Optional.empty();
    }

    /** The layer a node belongs to: its own name, less the suffix that int8-dynamic and int4 add to the node they make. */
    static String layerName(NodeProto n) {
        String name = n.getName();
        String suffix = switch (n.getOpType()) {
            case "MatMulInteger", "ConvInteger" -> "_quant";
            case "MatMulNBits" -> "_Q4";
            case "Gather" -> "_q";
            default -> null;
        };
        return suffix != null && name.endsWith(suffix) && name.length() > suffix.length() ? name.substring(0, name.length() - suffix.length()) : name;
    }

    private record Context(ModelSnapshot m, Map<String, TensorProto> inits, Map<String, NodeProto> producers, Map<String, List<NodeProto>> consumers) {
        Context(ModelSnapshot m) {
            this(m, m.initializers(), producers(m), m.consumers());
        }

        private static Map<String, NodeProto> producers(ModelSnapshot m) {
            Map<String, NodeProto> p = new HashMap<>();
            for (NodeProto n : m.graph().getNodeList()) {
                n.getOutputList().forEach(o -> p.put(o, n));
            }
            return p;
        }

        NodeProto producer(String v) {
            return producers.get(v);
        }

        TensorProto init(String v) {
            return v == null || v.isEmpty() ? null : inits.get(v);
        }
    }

    /** A decoded value: its values, shape, output-channel axis if known from the form, and the form's words. */
    private record Value(float[] values, long[] shape, int axis, String form) {
    }

    private static Weights decode(Context c, NodeProto n) {
        String layer = layerName(n);
        return switch (n.getOpType()) {
            case "MatMulInteger", "ConvInteger" -> integer(c, n, layer);
            case "MatMulNBits" -> nBits(c, n, layer);
            case "Gather" -> embedding(c, n, layer);
            default -> {
                if (n.getInputCount() < 2) {
                    yield null;
                }
                Value v = value(c, n.getInput(1), 0);
                if (v == null || v.shape.length < 2) {
                    yield null;
                }
                int axis = switch (n.getOpType()) {
                    case "Conv" -> 0;
                    case "ConvTranspose" -> 1;
                    case "MatMul" -> v.shape.length - 1;
                    default -> Nodes.intAttr(n, "transB", 0) == 1 ? 0 : 1;
                };
                yield new Weights(layer, n.getName(), n.getOpType(), v.form, v.shape, axis, v.values);
            }
        };
    }

    /**
     * A Gather on an embedding table: the float table itself, or int8-dynamic's int8 table whose rows are multiplied by
     * the float16 scales that the sibling Gather ({@code <layer>_scale}) reads with the same indices.
     */
    private static Weights embedding(Context c, NodeProto n, String layer) {
        TensorProto table = c.init(n.getInput(0));
        if (table == null || table.getDimsCount() != 2 || Nodes.intAttr(n, "axis", 0) != 0) {
            return null;
        }
        long[] shape = Tensors.dims(table);
        DType d = Tensors.dtype(table);
        if (d == DType.FLOAT || d == DType.FLOAT16) {
            if (shape[1] < 2) {
                return null; // a column of per-row scales (int8-dynamic's), not an embedding
            }
            return new Weights(layer, n.getName(), "Gather", d == DType.FLOAT16 ? "float16" : "float32", shape, 0, Tensors.toFloats(table));
        }
        if (d != DType.INT8 || n.getName().equals(layer)) {
            return null;
        }
        TensorProto scales = null;
        for (NodeProto sibling : c.consumers().getOrDefault(n.getInput(1), List.of())) {
            if (sibling.getOpType().equals("Gather") && sibling.getName().equals(layer + "_scale")) {
                scales = c.init(sibling.getInput(0));
            }
        }
        if (scales == null || Tensors.elementCount(scales) != shape[0]) {
            return null;
        }
        float[] scale = Tensors.toFloats(scales);
        byte[] q = bytes(table);
        int cols = (int) shape[1];
        float[] values = new float[q.length];
        for (int i = 0; i < q.length; i++) {
            values[i] = q[i] * scale[i / cols];
        }
        return new Weights(layer, n.getName(), "Gather", "int8 rows with a " + Tensors.dtype(scales).label() + " scale per row (int8-dynamic)",
                shape, 0, values);
    }

    /** A float value computed from initializers only, in one of the forms the techniques write; null otherwise. */
    private static Value value(Context c, String name, int depth) {
        TensorProto t = c.init(name);
        if (t != null) {
            DType d = Tensors.dtype(t);
            if (d == DType.FLOAT || d == DType.DOUBLE || d == DType.FLOAT16) {
                return new Value(Tensors.toFloats(t), Tensors.dims(t), -1, d == DType.FLOAT16 ? "float16" : d.label());
            }
            return null;
        }
        NodeProto p = c.producer(name);
        if (p == null || depth > 2) {
            return null;
        }
        return switch (p.getOpType()) {
            case "Cast" -> {
                Value in = Nodes.intAttr(p, "to", 0) == DType.FLOAT.onnxCode() ? value(c, p.getInput(0), depth + 1) : null;
                yield in == null ? null : new Value(in.values, in.shape, in.axis, in.form + " + Cast to float32");
            }
            case "DequantizeLinear" -> dequantizeLinear(c, p);
            case "Sub" -> binary(c, p);
            default -> null;
        };
    }

    /** DequantizeLinear(q, scale[, zero point]) with int8/uint8 codes, per tensor or per axis. */
    private static Value dequantizeLinear(Context c, NodeProto p) {
        TensorProto q = c.init(p.getInput(0));
        TensorProto s = p.getInputCount() > 1 ? c.init(p.getInput(1)) : null;
        TensorProto z = p.getInputCount() > 2 ? c.init(p.getInput(2)) : null;
        if (q == null || s == null || Nodes.intAttr(p, "block_size", 0) != 0) {
            return null;
        }
        DType qt = Tensors.dtype(q);
        if (qt != DType.INT8 && qt != DType.UINT8 && qt != DType.INT16 && qt != DType.UINT16) {
            return null;
        }
        long[] codes = Tensors.toLongs(q);
        float[] scale = Tensors.toFloats(s);
        long[] zero = z == null ? new long[scale.length] : Tensors.toLongs(z);
        long[] dims = Tensors.dims(q);
        boolean perTensor = scale.length == 1;
        int axis = (int) Nodes.intAttr(p, "axis", 1);
        if (axis < 0) {
            axis += dims.length;
        }
        if (!perTensor && (axis >= dims.length || dims[axis] != scale.length || zero.length != scale.length)) {
            return null;
        }
        int inner = 1;
        for (int d = axis + 1; !perTensor && d < dims.length; d++) {
            inner *= (int) dims[d];
        }
        float[] out = new float[codes.length];
        for (int i = 0; i < codes.length; i++) {
            int ch = perTensor ? 0 : (i / inner) % scale.length;
            out[i] = (codes[i] - zero[ch]) * scale[ch];
        }
        String form = qt.label() + (perTensor ? " per-tensor" : " per-channel") + " (DequantizeLinear" + (perTensor ? "" : ", axis " + axis) + ")";
        return new Value(out, dims, perTensor ? -1 : axis, form);
    }

    /**
     * The binary technique's unpacking subgraph: Sub(Mul(Cast(Reshape(Slice(Reshape(Mod(BitShift(bits, shifts), 2))),
     * shape)), 2 alpha), alpha): w = bit x 2 alpha - alpha, alpha broadcast per channel.
     */
    private static Value binary(Context c, NodeProto sub) {
        TensorProto alpha = c.init(sub.getInput(1));
        NodeProto mul = c.producer(sub.getInput(0));
        if (alpha == null || mul == null || !mul.getOpType().equals("Mul")) {
            return null;
        }
        TensorProto twoAlpha = c.init(mul.getInput(1));
        NodeProto cast = c.producer(mul.getInput(0));
        NodeProto shape = cast == null || !cast.getOpType().equals("Cast") ? null : c.producer(cast.getInput(0));
        NodeProto slice = shape == null || !shape.getOpType().equals("Reshape") ? null : c.producer(shape.getInput(0));
        NodeProto flat = slice == null || !slice.getOpType().equals("Slice") ? null : c.producer(slice.getInput(0));
        NodeProto mod = flat == null || !flat.getOpType().equals("Reshape") ? null : c.producer(flat.getInput(0));
        NodeProto shift = mod == null || !mod.getOpType().equals("Mod") ? null : c.producer(mod.getInput(0));
        if (twoAlpha == null || shift == null || !shift.getOpType().equals("BitShift") || c.init(shape.getInput(1)) == null
                || c.init(shift.getInput(0)) == null) {
            return null;
        }
        long[] dims = Tensors.toLongs(c.init(shape.getInput(1)));
        byte[] packed = bytes(c.init(shift.getInput(0)));
        float[] a = Tensors.toFloats(alpha);
        float[] a2 = Tensors.toFloats(twoAlpha);
        long[] alphaDims = Tensors.dims(alpha);
        int n = Math.toIntExact(Arrays.stream(dims).reduce(1, (x, y) -> x * y));
        if (packed.length * 8L < n) {
            return null;
        }
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            int bit = (packed[i >> 3] >> (i & 7)) & 1;
            int ch = broadcastIndex(dims, alphaDims, i);
            out[i] = bit * a2[ch] - a[ch];
        }
        int axis = -1;
        for (int d = 0; d < alphaDims.length; d++) {
            if (alphaDims[d] > 1) {
                axis = dims.length - alphaDims.length + d;
            }
        }
        return new Value(out, dims, axis, "binary (1 bit per weight, packed, + scale per channel)");
    }

    /** The bytes of a uint8 tensor, stored raw or as typed values. */
    private static byte[] bytes(TensorProto t) {
        long[] v = Tensors.toLongs(t);
        byte[] out = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (byte) v[i];
        }
        return out;
    }

    /** The flat index into a tensor of shape {@code small}, broadcast (numpy rules) to {@code dims}, for element i of dims. */
    static int broadcastIndex(long[] dims, long[] small, int i) {
        int index = 0;
        int stride = 1;
        long rest = i;
        for (int d = dims.length - 1; d >= 0; d--) {
            long coord = rest % dims[d];
            rest /= dims[d];
            int sd = d - (dims.length - small.length);
            if (sd >= 0) {
                if (small[sd] > 1) {
                    index += (int) coord * stride;
                }
                stride *= (int) small[sd];
            }
        }
        return index;
    }

    /**
     * MatMulInteger/ConvInteger: int8 weights (input 1, zero point input 3), and the weight scale that int8-dynamic
     * multiplies in after the integer product: output -> Cast -> Mul(., s), s = Mul(activation scale, weight scale).
     */
    private static Weights integer(Context c, NodeProto n, String layer) {
        TensorProto q = n.getInputCount() > 1 ? c.init(n.getInput(1)) : null;
        if (q == null || (Tensors.dtype(q) != DType.INT8 && Tensors.dtype(q) != DType.UINT8)) {
            return null;
        }
        TensorProto z = n.getInputCount() > 3 ? c.init(n.getInput(3)) : null;
        TensorProto scale = null;
        for (NodeProto cast : c.consumers.getOrDefault(n.getOutput(0), List.of())) {
            if (!cast.getOpType().equals("Cast")) {
                continue;
            }
            for (NodeProto mul : c.consumers.getOrDefault(cast.getOutput(0), List.of())) {
                if (!mul.getOpType().equals("Mul")) {
                    continue;
                }
                String s = mul.getInput(0).equals(cast.getOutput(0)) ? mul.getInput(1) : mul.getInput(0);
                NodeProto sm = c.producer(s);
                if (sm != null && sm.getOpType().equals("Mul")) {
                    scale = c.init(sm.getInput(1)) != null ? c.init(sm.getInput(1)) : c.init(sm.getInput(0));
                } else {
                    scale = c.init(s);
                }
            }
        }
        if (scale == null) {
            return null;
        }
        long[] dims = Tensors.dims(q);
        boolean conv = n.getOpType().equals("ConvInteger");
        int axis = conv ? 0 : dims.length - 1;
        float[] s = Tensors.toFloats(scale);
        long[] zp = z == null ? new long[] {0} : Tensors.toLongs(z);
        long[] codes = Tensors.toLongs(q);
        boolean perTensor = s.length == 1;
        if (!perTensor && s.length != dims[axis]) {
            return null;
        }
        int inner = 1;
        for (int d = axis + 1; d < dims.length; d++) {
            inner *= (int) dims[d];
        }
        float[] out = new float[codes.length];
        for (int i = 0; i < codes.length; i++) {
            int ch = (i / inner) % (int) dims[axis];
            out[i] = (codes[i] - zp[zp.length == 1 ? 0 : ch]) * s[perTensor ? 0 : ch];
        }
        String form = Tensors.dtype(q).label() + (perTensor ? " per-tensor" : " per-channel") + " (" + n.getOpType()
                + ", scale applied after the integer product)";
        return new Weights(layer, n.getName(), n.getOpType(), form, dims, axis, out);
    }

    /** com.microsoft MatMulNBits with 4-bit blocks: the float [K, N] weight the kernel multiplies by. */
    private static Weights nBits(Context c, NodeProto n, String layer) {
        TensorProto b = n.getInputCount() > 1 ? c.init(n.getInput(1)) : null;
        TensorProto s = n.getInputCount() > 2 ? c.init(n.getInput(2)) : null;
        TensorProto z = n.getInputCount() > 3 ? c.init(n.getInput(3)) : null;
        if (b == null || s == null || Nodes.intAttr(n, "bits", 4) != 4 || b.getDimsCount() != 3
                || (z != null && Tensors.dtype(z) != DType.UINT8)) {
            return null;
        }
        int k = (int) Nodes.intAttr(n, "K", 0);
        int nOut = (int) Nodes.intAttr(n, "N", 0);
        int block = (int) Nodes.intAttr(n, "block_size", 0);
        int blocks = (int) b.getDims(1);
        if (k <= 0 || nOut <= 0 || block <= 0 || b.getDims(0) != nOut || blocks != (k + block - 1) / block) {
            return null;
        }
        Int4WeightOnly.Blocks q = new Int4WeightOnly.Blocks(bytes(b), Tensors.toFloats(s), z == null ? null : bytes(z), blocks);
        float[] w = Int4WeightOnly.dequantize(q, k, nOut, block);
        String form = "int4 in blocks of " + block + " along K, " + (z == null ? "symmetric" : "with a zero point per block") + " (MatMulNBits)";
        return new Weights(layer, n.getName(), n.getOpType(), form, new long[] {k, nOut}, 1, w);
    }
}
