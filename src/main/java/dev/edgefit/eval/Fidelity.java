package dev.edgefit.eval;

/**
 * How closely a model's outputs follow a reference model's on the same inputs: top-1 agreement (argmax over
 * the last axis, row by row), mean cosine similarity of output rows, and signal-to-quantization-noise ratio
 * in dB over all outputs, and the largest absolute difference of any output value.
 */
public record Fidelity(double top1Agreement, double meanCosine, double sqnrDb, double maxAbsDiff, int samples) {

    /** Accumulates fidelity over many output pairs. */
    public static final class Accumulator {
        private long rows;
        private long agree;
        private double cosSum;
        private double signal;
        private double noise;
        private int samples;
        private double maxAbs;

        /** Adds one inference's first output for the model and its reference; rows = the last axis. */
        public void add(float[] out, float[] ref, int rowLength) {
            if (out.length != ref.length) {
                throw new IllegalArgumentException("output sizes differ: " + out.length + " vs " + ref.length);
            }
            int rl = rowLength <= 0 ? out.length : rowLength;
            for (int start = 0; start + rl <= out.length; start += rl) {
                double dot = 0;
                double na = 0;
                double nb = 0;
                int am = start;
                int bm = start;
                for (int i = start; i < start + rl; i++) {
                    dot += (double) out[i] * ref[i];
                    na += (double) out[i] * out[i];
                    nb += (double) ref[i] * ref[i];
                    double d = (double) out[i] - ref[i];
                    noise += d * d;
                    maxAbs = Math.max(maxAbs, Math.abs(d));
                    signal += (double) ref[i] * ref[i];
                    if (out[i] > out[am]) {
                        am = i;
                    }
                    if (ref[i] > ref[bm]) {
                        bm = i;
                    }
                }
                double denom = Math.sqrt(na) * Math.sqrt(nb);
                cosSum += denom == 0 ? (na == nb ? 1 : 0) : dot / denom;
                if (am == bm) {
                    agree++;
                }
                rows++;
            }
            samples++;
        }

        public Fidelity result() {
            double sqnr = noise == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(signal / noise);
            return new Fidelity(rows == 0 ? 0 : (double) agree / rows, rows == 0 ? 0 : cosSum / rows, sqnr, maxAbs, samples);
        }
    }
}
