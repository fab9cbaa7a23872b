package dev.edgefit.data;

import java.util.Random;

/** Deterministic sampling of calibration samples from a dataset. */
public final class Calibration {
    private Calibration() {
    }

    /** n distinct indices in [0, size), in random order fixed by the seed (all indices if n >= size). */
    public static int[] sampleIndices(int size, int n, long seed) {
        if (size < 0 || n < 0) {
            throw dev.edgefit.common.EdgeFitException.badParameter("Cannot sample " + n + " of " + size + " samples: both must be 0 or more.");
        }
        int[] all = new int[size];
        for (int i = 0; i < size; i++) {
            all[i] = i;
        }
        Random r = new Random(seed);
        int k = Math.min(n, size);
        for (int i = 0; i < k; i++) {
            int j = i + r.nextInt(size - i);
            int t = all[i];
            all[i] = all[j];
            all[j] = t;
        }
        int[] out = new int[k];
        System.arraycopy(all, 0, out, 0, k);
        return out;
    }

    /** The preprocessed samples at the given indices, in that order. */
    public static float[][] batch(Dataset d, int[] idx) {
        float[][] out = new float[idx.length][];
        for (int i = 0; i < idx.length; i++) {
            out[i] = d.sample(idx[i]);
        }
        return out;
    }
}
