package dev.edgefit.ui;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** How the workbench writes numbers for people: one place, so tables, charts and panels agree. */
final class Formats {
    private Formats() {
    }

    /**
     * A size as every part of EdgeFit writes it (fit panel, limits, devices, report): binary units (KiB, MiB), see {@link dev.edgefit.device.Constraints#formatBytes(long)}.
     */
    static String bytes(long b) {
        return dev.edgefit.device.Constraints.formatBytes(b);
    }

    /** A fraction as a percentage with two decimals: 0.8965 is "89.65%". */
    static String pct(double fraction) {
        return String.format(Locale.ROOT, "%.2f%%", fraction * 100);
    }

    /** Milliseconds with three significant decimals for small values. */
    static String ms(double v) {
        return v < 10 ? String.format(Locale.ROOT, "%.3f", v) : String.format(Locale.ROOT, "%.1f", v);
    }

    /**
     * Fidelity to the original in one short text: the worst output's SQNR, and the cosine where one means something:
     * "SQNR 23.4 dB, cosine 0.99871", "SQNR -15.7 dB", "identical".
     */
    static String fidelity(dev.edgefit.eval.Fidelity f) {
        if (Double.isInfinite(f.sqnrDb()) && f.sqnrDb() > 0) {
            return "identical";
        }
        return String.format(Locale.ROOT, "SQNR %.1f dB", f.sqnrDb())
                + (f.meanCosine() == null ? "" : String.format(Locale.ROOT, ", cosine %.5f", f.meanCosine()));
    }

    /** A count with thousands separators. */
    static String count(long v) {
        return String.format(Locale.ROOT, "%,d", v);
    }

    /** A large count in words a reader takes in at a glance: 1,205,536 is "1.21 M". */
    static String shortCount(long v) {
        if (v >= 1_000_000_000L) {
            return String.format(Locale.ROOT, "%.2f G", v / 1e9);
        }
        if (v >= 1_000_000) {
            return String.format(Locale.ROOT, "%.2f M", v / 1e6);
        }
        if (v >= 10_000) {
            return String.format(Locale.ROOT, "%.1f k", v / 1e3);
        }
        return count(v);
    }

    /** Technique parameters as {@code name=value, ...}, without the map's braces. */
    static String params(Map<String, Object> params) {
        if (params == null || params.isEmpty()) {
            return "";
        }
        return params.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(", "));
    }

    /** An operator histogram, most frequent first: "Conv ×4, Relu ×5". */
    static String histogram(Map<String, Integer> ops) {
        return new TreeMap<>(ops).entrySet().stream()
                .sorted((a, b) -> Integer.compare(b.getValue(), a.getValue()))
                .map(e -> e.getKey() + " ×" + e.getValue())
                .collect(Collectors.joining(", "));
    }

    /** A signature's shape as people read it: [batch_size × sequence_length × 384], names for dynamic axes. */
    static String shape(dev.edgefit.model.TensorSpec t) {
        StringBuilder b = new StringBuilder("[");
        long[] dims = t.shape();
        for (int i = 0; i < dims.length; i++) {
            if (i > 0) {
                b.append(" × ");
            }
            String name = i < t.dimNames().size() ? t.dimNames().get(i) : null;
            b.append(dims[i] >= 0 ? Long.toString(dims[i]) : name == null || name.isEmpty() ? "?" : name);
        }
        return b.append(']').toString();
    }

    /** A tensor shape: [1, 16, 28, 28]; unknown when null. */
    static String shape(long[] shape) {
        return shape == null ? "" : Arrays.toString(shape);
    }
}
