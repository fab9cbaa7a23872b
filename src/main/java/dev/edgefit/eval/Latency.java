package dev.edgefit.eval;

import java.util.Arrays;

/** Host latency of single inferences in milliseconds, after warm-up, with nearest-rank percentiles. */
public record Latency(double p50, double p90, double p99, double mean, double min, int runs, int threads) {

    public static Latency of(double[] millis, int threads) {
        if (millis.length == 0) {
            throw new IllegalArgumentException("no latency samples");
        }
        double[] s = millis.clone();
        Arrays.sort(s);
        return new Latency(pct(s, 50), pct(s, 90), pct(s, 99), Arrays.stream(s).average().orElse(0), s[0], s.length, threads);
    }

    static double pct(double[] sorted, double p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
}
