package dev.edgefit.model;

/** Axis permutations of dense row-major arrays: out shape[i] = in shape[perm[i]] (numpy's transpose). */
public final class Layouts {
    public static final int[] NCHW_TO_NHWC = {0, 2, 3, 1};
    public static final int[] NHWC_TO_NCHW = {0, 3, 1, 2};

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
}
