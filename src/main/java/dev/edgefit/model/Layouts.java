package dev.edgefit.model;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.NodeProto;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Axis permutations of dense row-major arrays: out shape[i] = in shape[perm[i]] (numpy's transpose); and the axis
 * order (NCHW or NHWC) a model's image inputs take.
 */
public final class Layouts {
    public static final int[] NCHW_TO_NHWC = {0, 2, 3, 1};
    public static final int[] NHWC_TO_NCHW = {0, 3, 1, 2};
    public static final String NCHW = "NCHW";
    public static final String NHWC = "NHWC";

    /** Element-wise operators a channels-last input may pass through (with constant operands) before its Transpose. */
    private static final Set<String> ELEMENTWISE = Set.of("Add", "Sub", "Mul", "Div", "Relu", "Clip", "Identity");

    private Layouts() {
    }

    public static long[] permuteShape(long[] shape, int[] perm) {
        long[] out = new long[perm.length];
        for (int i = 0; i < perm.length; i++) {
            out[i] = shape[perm[i]];
        }
        return out;
    }

    public static int[] inverse(int[] perm) {
        int[] inv = new int[perm.length];
        for (int i = 0; i < perm.length; i++) {
            inv[perm[i]] = i;
        }
        return inv;
    }

    public static boolean isIdentity(int[] perm) {
        for (int i = 0; i < perm.length; i++) {
            if (perm[i] != i) {
                return false;
            }
        }
        return true;
    }

    /** For each element of the permuted array (in its order), the index of the element of the source it comes from. */
    public static int[] sourceIndex(long[] shape, int[] perm) {
        int rank = shape.length;
        long[] stride = new long[rank];
        long s = 1;
        for (int d = rank - 1; d >= 0; d--) {
            stride[d] = s;
            s *= shape[d];
        }
        int n = Math.toIntExact(s);
        long[] outShape = permuteShape(shape, perm);
        int[] idx = new int[n];
        int[] coord = new int[rank];
        for (int i = 0; i < n; i++) {
            long src = 0;
            for (int d = 0; d < rank; d++) {
                src += coord[d] * stride[perm[d]];
            }
            idx[i] = (int) src;
            for (int d = rank - 1; d >= 0; d--) {
                if (++coord[d] < outShape[d]) {
                    break;
                }
                coord[d] = 0;
            }
        }
        return idx;
    }

    public static float[] permute(float[] data, long[] shape, int[] perm) {
        if (isIdentity(perm)) {
            return data.clone();
        }
        int[] idx = sourceIndex(shape, perm);
        float[] out = new float[data.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = data[idx[i]];
        }
        return out;
    }

    /**
     * The axis order of a 4-D input: {@link #NHWC} when its last axis holds 1, 3 or 4 channels and every path from it
     * (through element-wise operators with constant operands, such as a scaling to [-1, 1]) reaches a Transpose to
     * NCHW (perm 0,3,1,2), as TensorFlow converters (tf2onnx) write; {@link #NCHW} for any other 4-D input; null for
     * an input of another rank or one the model does not have.
     */
    public static String inputLayout(ModelSnapshot m, String input) {
        TensorSpec spec = m.inputs().stream().filter(s -> s.name().equals(input)).findFirst().orElse(null);
        if (spec == null || spec.shape().length != 4) {
            return null;
        }
        long c = spec.shape()[3];
        if (c != 1 && c != 3 && c != 4) {
            return NCHW;
        }
        return transposedToNchw(m, input) ? NHWC : NCHW;
    }

    /** The model's image layout: NHWC when a 4-D input is NHWC, NCHW when it has 4-D inputs and none is; else null. */
    public static String modelLayout(ModelSnapshot m) {
        String layout = null;
        for (TensorSpec s : m.inputs()) {
            String l = inputLayout(m, s.name());
            if (NHWC.equals(l)) {
                return NHWC;
            }
            if (l != null) {
                layout = l;
            }
        }
        return layout;
    }

    private static boolean transposedToNchw(ModelSnapshot m, String input) {
        Map<String, List<NodeProto>> consumers = m.consumers();
        Set<String> constants = new HashSet<>(m.initializers().keySet());
        for (NodeProto n : m.graph().getNodeList()) {
            if (n.getOpType().equals("Constant")) {
                constants.addAll(n.getOutputList());
            }
        }
        Set<String> outputs = new HashSet<>();
        m.graph().getOutputList().forEach(o -> outputs.add(o.getName()));
        Deque<String> todo = new ArrayDeque<>(List.of(input));
        Set<String> seen = new HashSet<>();
        while (!todo.isEmpty()) {
            String v = todo.pop();
            if (!seen.add(v)) {
                continue;
            }
            List<NodeProto> cs = consumers.getOrDefault(v, List.of());
            if (cs.isEmpty() || outputs.contains(v) || seen.size() > 16) {
                return false;
            }
            for (NodeProto n : cs) {
                if (n.getOpType().equals("Transpose") && n.getInput(0).equals(v)) {
                    if (!java.util.Arrays.equals(perm(n), NHWC_TO_NCHW)) {
                        return false;
                    }
                } else if (ELEMENTWISE.contains(n.getOpType()) && (n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx"))
                        && n.getInputList().stream().allMatch(i -> i.isEmpty() || i.equals(v) || constants.contains(i))) {
                    todo.add(n.getOutput(0));
                } else {
                    return false;
                }
            }
        }
        return !seen.isEmpty();
    }

    private static int[] perm(NodeProto n) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals("perm")) {
                return a.getIntsList().stream().mapToInt(Long::intValue).toArray();
            }
        }
        return null;
    }
}
