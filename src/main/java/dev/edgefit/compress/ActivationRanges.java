package dev.edgefit.compress;

import dev.edgefit.common.Progress;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.runtime.OrtRunner;
import dev.edgefit.runtime.RunnerOptions;
import dev.edgefit.runtime.ShapeProbe;
import dev.edgefit.runtime.Tensor;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Calibration: runs the float model in ONNX Runtime on calibration samples with the chosen activations exposed
 * as outputs, and turns what it sees into a quantization range per tensor. MinMax takes the observed extremes;
 * Percentile clips both tails at a percentile of a 2048-bin histogram; Entropy picks the symmetric threshold whose
 * 128-level quantized distribution has the least KL divergence from the observed one (the method TensorRT made
 * common).
 */
public final class ActivationRanges {
    public enum Method { MINMAX, PERCENTILE, ENTROPY }

    static final int BINS = 2048;
    static final int LEVELS = 128;

    private ActivationRanges() {
    }

    /** Range {lo, hi} per tensor. */
    public static Map<String, float[]> collect(ModelSnapshot model, Collection<String> tensors, List<Map<String, Tensor>> samples,
                                               Method method, double percentile, Progress progress) {
        ModelSnapshot exposed = ShapeProbe.exposing(model, tensors);
        Map<String, float[]> minMax = new HashMap<>();
        boolean histogram = method != Method.MINMAX;
        try (OrtRunner r = OrtRunner.inMemory(exposed, new RunnerOptions(0, RunnerOptions.OptLevel.BASIC))) {
            int i = 0;
            for (Map<String, Tensor> s : samples) {
                progress.checkCancelled();
                Map<String, Tensor> out = r.run(s);
                for (String t : tensors) {
                    Tensor v = out.get(t);
                    if (v == null || v.dtype() != dev.edgefit.model.DType.FLOAT) {
                        continue;   // shape arithmetic and other non-float values are not quantized
                    }
                    float[] mm = minMax.computeIfAbsent(t, k -> new float[] {Float.MAX_VALUE, -Float.MAX_VALUE});
                    for (float x : v.floats()) {
                        if (x < mm[0]) {
                            mm[0] = x;
                        }
                        if (x > mm[1]) {
                            mm[1] = x;
                        }
                    }
                }
                progress.update((histogram ? 0.5 : 1.0) * ++i / samples.size(), "Calibrating: " + i + "/" + samples.size() + " samples");
            }
            if (!histogram) {
                return minMax;
            }
            Map<String, long[]> hist = new HashMap<>();
            i = 0;
            for (Map<String, Tensor> s : samples) {
                progress.checkCancelled();
                Map<String, Tensor> out = r.run(s);
                for (String t : minMax.keySet()) {
                    float[] mm = minMax.get(t);
                    long[] h = hist.computeIfAbsent(t, k -> new long[BINS]);
                    float[] v = out.get(t).floats();
                    if (method == Method.ENTROPY) {
                        double amax = Math.max(Math.abs(mm[0]), Math.abs(mm[1]));
                        for (float x : v) {
                            h[bin(Math.abs(x), 0, amax)]++;
                        }
                    } else {
                        for (float x : v) {
                            h[bin(x, mm[0], mm[1])]++;
                        }
                    }
                }
                progress.update(0.5 + 0.5 * ++i / samples.size(), "Calibrating (histograms): " + i + "/" + samples.size());
            }
            Map<String, float[]> ranges = new HashMap<>();
            for (Map.Entry<String, float[]> e : minMax.entrySet()) {
                float[] mm = e.getValue();
                long[] h = hist.get(e.getKey());
                if (method == Method.PERCENTILE) {
                    ranges.put(e.getKey(), percentileRange(h, mm[0], mm[1], percentile));
                } else {
                    double amax = Math.max(Math.abs(mm[0]), Math.abs(mm[1]));
                    float t = (float) entropyThreshold(h, amax);
                    ranges.put(e.getKey(), new float[] {Math.max(mm[0], -t), Math.min(mm[1], t)});
                }
            }
            return ranges;
        }
    }

    /** Mean of each tensor per channel (axis 1: C of NCHW, K of a [N, K] matrix) over the samples, from the float model. */
    public static Map<String, double[]> channelMeans(ModelSnapshot model, Collection<String> tensors, List<Map<String, Tensor>> samples,
                                                     Progress progress) {
        Map<String, double[]> sum = new HashMap<>();
        Map<String, Long> count = new HashMap<>();
        try (OrtRunner r = OrtRunner.inMemory(ShapeProbe.exposing(model, tensors), new RunnerOptions(0, RunnerOptions.OptLevel.BASIC))) {
            int i = 0;
            for (Map<String, Tensor> s : samples) {
                progress.checkCancelled();
                Map<String, Tensor> out = r.run(s);
                for (String t : tensors) {
                    Tensor v = out.get(t);
                    if (v == null || v.shape().length < 2) {
                        continue;
                    }
                    long[] shape = v.shape();
                    int c = (int) shape[1];
                    int inner = 1;
                    for (int d = 2; d < shape.length; d++) {
                        inner *= (int) shape[d];
                    }
                    float[] f = v.floats();
                    double[] acc = sum.computeIfAbsent(t, k -> new double[c]);
                    for (int j = 0; j < f.length; j++) {
                        acc[(j / inner) % c] += f[j];
                    }
                    count.merge(t, (long) f.length / c, Long::sum);
                }
                progress.update((double) ++i / samples.size(), "Bias correction: mean inputs, " + i + "/" + samples.size());
            }
        }
        Map<String, double[]> means = new HashMap<>();
        sum.forEach((t, acc) -> {
            double[] m = acc.clone();
            for (int j = 0; j < m.length; j++) {
                m[j] /= count.get(t);
            }
            means.put(t, m);
        });
        return means;
    }

    static int bin(double x, double lo, double hi) {
        if (hi <= lo) {
            return 0;
        }
        int b = (int) ((x - lo) / (hi - lo) * BINS);
        return Math.max(0, Math.min(BINS - 1, b));
    }

    /** Clips each tail at (100 - p)% and p% of the histogram of x over [lo, hi]. */
    static float[] percentileRange(long[] h, float lo, float hi, double p) {
        long total = 0;
        for (long c : h) {
            total += c;
        }
        double tail = total * (100 - p) / 100.0;
        double width = (hi - (double) lo) / BINS;
        long acc = 0;
        int first = 0;
        while (first < BINS - 1 && acc + h[first] <= tail) {
            acc += h[first++];
        }
        acc = 0;
        int last = BINS - 1;
        while (last > 0 && acc + h[last] <= tail) {
            acc += h[last--];
        }
        return new float[] {(float) (lo + first * width), (float) (lo + (last + 1) * width)};
    }

    /** Threshold on |x| minimising KL(P || Q) where Q is P quantized to 128 levels; h is the histogram of |x| on [0, amax]. */
    static double entropyThreshold(long[] h, double amax) {
        double width = amax / BINS;
        double bestKl = Double.MAX_VALUE;
        int best = BINS;
        for (int i = LEVELS; i <= BINS; i += 16) {
            double[] p = new double[i];
            for (int j = 0; j < i; j++) {
                p[j] = h[j];
            }
            for (int j = i; j < BINS; j++) {
                p[i - 1] += h[j];
            }
            double[] q = new double[i];
            double per = (double) i / LEVELS;
            for (int level = 0; level < LEVELS; level++) {
                int start = (int) Math.floor(level * per);
                int end = (int) Math.floor((level + 1) * per);
                double sum = 0;
                int nonZero = 0;
                for (int j = start; j < end; j++) {
                    sum += h[j];
                    if (p[j] != 0) {
                        nonZero++;
                    }
                }
                for (int j = start; j < end; j++) {
                    q[j] = p[j] == 0 || nonZero == 0 ? 0 : sum / nonZero;
                }
            }
            double kl = kl(p, q);
            if (kl < bestKl) {
                bestKl = kl;
                best = i;
            }
        }
        return best * width;
    }

    private static double kl(double[] p, double[] q) {
        double sp = 0;
        double sq = 0;
        for (int i = 0; i < p.length; i++) {
            sp += p[i];
            sq += q[i];
        }
        if (sp == 0 || sq == 0) {
            return Double.MAX_VALUE;
        }
        double kl = 0;
        for (int i = 0; i < p.length; i++) {
            if (p[i] > 0) {
                double pi = p[i] / sp;
                double qi = q[i] / sq;
                kl += qi == 0 ? pi * 20 : pi * Math.log(pi / qi);
            }
        }
        return kl;
    }
}
