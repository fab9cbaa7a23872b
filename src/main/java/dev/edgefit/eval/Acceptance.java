package dev.edgefit.eval;

import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import dev.edgefit.common.EdgeFitException;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Which measured figure decides whether a result is kept (a compression step) or passes (an exported artifact), and its
 * bar. A rule is an ordered list of criteria; the first one whose figure was measured decides, so the default
 * {@code accuracy>=0.95,sqnrDb>=10} reads "accuracy retention when labelled data gives accuracy, else the SQNR of the
 * worst output". Written as text ({@link #parse}, {@link #text}) for the command line, recipes and the GUI alike.
 * <p>
 * Metrics: {@code accuracy} (the result's accuracy over the reference's, on labelled data), {@code sqnrDb} (the worst
 * output's SQNR in dB), {@code relL2} (the worst output's relative L2 error, a bar from above: {@code relL2<=0.1}),
 * {@code top1} (the lowest top-1 agreement among outputs with a class axis), {@code cosine} (the lowest mean cosine among
 * outputs where a cosine means something). SQNR and relative error are measured against the noise floor of
 * {@link Fidelity}, so a near-zero output does not fail on a change of 1e-6.
 */
public record Acceptance(List<Criterion> criteria) {
    /** The default bar for the worst output's SQNR when there is no accuracy: the counterpart of the old 0.95 cosine bar. */
    public static final double DEFAULT_MIN_SQNR_DB = 10;
    /** The default accuracy retention for a compression step (the seed article keeps a technique at >= 0.95). */
    public static final double STEP_ACCURACY = 0.95;
    /** The default accuracy retention for an exported artifact against the source model. */
    public static final double EXPORT_ACCURACY = 0.98;
    /** No check: everything is kept. */
    public static final Acceptance NONE = new Acceptance(List.of());

    public Acceptance {
        criteria = List.copyOf(criteria);
    }

    /** The figures a rule can use. */
    public enum Metric {
        ACCURACY("accuracy", true, "accuracy retention"),
        SQNR_DB("sqnrDb", true, "SQNR"),
        REL_L2("relL2", false, "relative L2 error"),
        TOP1("top1", true, "top-1 agreement"),
        COSINE("cosine", true, "cosine");

        private final String id;
        private final boolean atLeast;
        private final String label;

        Metric(String id, boolean atLeast, String label) {
            this.id = id;
            this.atLeast = atLeast;
            this.label = label;
        }

        public String id() {
            return id;
        }

        /** True when the figure must be at least the threshold; false when at most (relL2). */
        public boolean atLeast() {
            return atLeast;
        }

        public String label() {
            return label;
        }

        public static Metric parse(String s) {
            for (Metric m : values()) {
                if (m.id.equalsIgnoreCase(s.trim())) {
                    return m;
                }
            }
            throw EdgeFitException.badParameter("Unknown acceptance metric '" + s.trim() + "'; use one of " + ids() + ".");
        }

        static String ids() {
            List<String> out = new ArrayList<>();
            for (Metric m : values()) {
                out.add(m.id);
            }
            return String.join(", ", out);
        }

        String format(double v) {
            return switch (this) {
                case SQNR_DB -> Double.isInfinite(v) && v > 0 ? "infinite (identical)" : String.format(Locale.ROOT, "%.1f dB", v);
                case REL_L2 -> String.format(Locale.ROOT, "%.4g", v);
                case COSINE -> String.format(Locale.ROOT, "%.5f", v);
                default -> String.format(Locale.ROOT, "%.4f", v);
            };
        }
    }

    /** One bar: {@code metric >= threshold} (or {@code <=} for relL2). */
    public record Criterion(Metric metric, double threshold) {
        public Criterion {
            boolean ok = switch (metric) {
                case ACCURACY, TOP1, COSINE -> threshold >= (metric == Metric.COSINE ? -1 : 0) && threshold <= 1;
                case REL_L2 -> threshold >= 0 && Double.isFinite(threshold);
                case SQNR_DB -> Double.isFinite(threshold);
            };
            if (!ok) {
                throw EdgeFitException.badParameter("The acceptance bar " + metric.id + (metric.atLeast ? ">=" : "<=") + threshold + " is out of range ("
                        + (metric == Metric.SQNR_DB ? "any number of dB" : metric == Metric.REL_L2 ? "0 or more" : metric == Metric.COSINE ? "-1 to 1" : "0 to 1") + ").");
            }
        }

        public String text() {
            return metric.id + (metric.atLeast ? ">=" : "<=") + trim(threshold);
        }

        boolean passes(double v) {
            return metric.atLeast ? v >= threshold : v <= threshold;
        }
    }

    /**
     * What a rule said about one result: the metric that decided ({@code decidedBy}, its id; null when nothing could be
     * judged), the figure and the bar, and one sentence.
     */
    public record Decision(String decidedBy, @JsonSerialize(using = FiniteOrNull.class) Double value, Double threshold, boolean passed,
                           String rule, String text) {
    }

    /** The default for compression steps: {@code accuracy>=0.95,sqnrDb>=10}. */
    public static Acceptance forSteps() {
        return forSteps(STEP_ACCURACY);
    }

    /** {@code accuracy>=T,sqnrDb>=10}; T = 0 keeps everything ({@link #NONE}). */
    public static Acceptance forSteps(double accuracyRetention) {
        if (accuracyRetention == 0) {
            return NONE;
        }
        return new Acceptance(List.of(new Criterion(Metric.ACCURACY, accuracyRetention), new Criterion(Metric.SQNR_DB, DEFAULT_MIN_SQNR_DB)));
    }

    /** The default for exported artifacts: {@code accuracy>=0.98,sqnrDb>=10}. */
    public static Acceptance forExports() {
        return new Acceptance(List.of(new Criterion(Metric.ACCURACY, EXPORT_ACCURACY), new Criterion(Metric.SQNR_DB, DEFAULT_MIN_SQNR_DB)));
    }

    /**
     * Parses {@code accuracy>=0.95}, {@code sqnrDb>=20}, {@code relL2<=0.1}, several separated by commas (the first one
     * measured decides), {@code none} (keep everything), or {@code auto} (gives {@code auto}, the caller's default).
     */
    public static Acceptance parse(String text, Acceptance auto) {
        String t = text == null ? "" : text.trim();
        if (t.isEmpty() || t.equalsIgnoreCase("auto")) {
            return auto;
        }
        if (t.equalsIgnoreCase("none")) {
            return NONE;
        }
        List<Criterion> out = new ArrayList<>();
        for (String part : t.split(",")) {
            String p = part.trim();
            int ge = p.indexOf(">=");
            int le = p.indexOf("<=");
            int at = ge >= 0 ? ge : le;
            if (at <= 0 || (ge >= 0 && le >= 0)) {
                throw EdgeFitException.badParameter("The acceptance rule '" + p + "' is not METRIC>=VALUE (or relL2<=VALUE), e.g. accuracy>=0.95, "
                        + "sqnrDb>=20, relL2<=0.1, top1>=0.98; several are separated by commas; 'none' keeps everything.");
            }
            Metric m = Metric.parse(p.substring(0, at));
            if (m.atLeast != (ge >= 0)) {
                throw EdgeFitException.badParameter("The acceptance rule '" + p + "': " + m.id + " is a bar from " + (m.atLeast ? "below; write "
                        + m.id + ">=" : "above; write " + m.id + "<=") + p.substring(at + 2).trim() + ".");
            }
            double v;
            try {
                v = Double.parseDouble(p.substring(at + 2).trim());
            } catch (NumberFormatException e) {
                throw EdgeFitException.badParameter("The acceptance rule '" + p + "' needs a number after " + p.substring(at, at + 2) + ".");
            }
            out.add(new Criterion(m, v));
        }
        return new Acceptance(out);
    }

    /** The rule as {@link #parse} reads it: "accuracy>=0.95,sqnrDb>=10", or "none". */
    public String text() {
        if (criteria.isEmpty()) {
            return "none";
        }
        List<String> parts = new ArrayList<>();
        criteria.forEach(c -> parts.add(c.text()));
        return String.join(",", parts);
    }

    /** The bar of {@code metric} in this rule, or null. */
    public Double threshold(Metric metric) {
        return criteria.stream().filter(c -> c.metric() == metric).map(Criterion::threshold).findFirst().orElse(null);
    }

    /**
     * Judges a result: {@code accuracy} is its accuracy on labelled data and {@code referenceAccuracy} the reference's on
     * the same items (either null when not measured), {@code fidelity} its outputs against the reference's (or null).
     */
    public Decision judge(Double accuracy, Double referenceAccuracy, Fidelity fidelity) {
        if (criteria.isEmpty()) {
            return new Decision(null, null, null, true, text(), "No acceptance rule (none): kept without a check.");
        }
        for (Criterion c : criteria) {
            Double v = null;
            String where = "";
            switch (c.metric()) {
                case ACCURACY -> {
                    if (accuracy != null && referenceAccuracy != null && referenceAccuracy > 0) {
                        v = accuracy / referenceAccuracy;
                        where = String.format(Locale.ROOT, " (%.2f%% against %.2f%%)", accuracy * 100, referenceAccuracy * 100);
                    }
                }
                case SQNR_DB, REL_L2 -> {
                    if (fidelity != null && !fidelity.outputs().isEmpty()) {
                        v = c.metric() == Metric.SQNR_DB ? fidelity.sqnrDb() : fidelity.relL2();
                        where = worst(fidelity, fidelity.worstOutput());
                    }
                }
                case TOP1, COSINE -> {
                    if (fidelity != null) {
                        OutputFidelity w = null;
                        for (OutputFidelity o : fidelity.outputs()) {
                            Double x = c.metric() == Metric.TOP1 ? o.top1() : o.cosine();
                            if (x != null && (v == null || x < v)) {
                                v = x;
                                w = o;
                            }
                        }
                        where = w == null ? "" : worst(fidelity, w.name());
                    }
                }
            }
            if (v == null) {
                continue;
            }
            boolean passed = !Double.isNaN(v) && c.passes(v);
            String text = String.format(Locale.ROOT, "%s %s%s %s the bar %s", c.metric().label(), c.metric().format(v), where,
                    passed ? "meets" : c.metric().atLeast() ? "is below" : "is above", c.text());
            return new Decision(c.metric().id(), v, c.threshold(), passed, text(), text + ".");
        }
        return new Decision(null, null, null, true, text(), "Not judged: none of " + text() + " was measured ("
                + (fidelity == null ? "no reference outputs" : "no labelled accuracy, no output with that figure") + ").");
    }

    private static String worst(Fidelity f, String name) {
        return f.outputs().size() > 1 && name != null ? " (worst output '" + name + "')" : "";
    }

    private static String trim(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v) : String.valueOf(v);
    }
}
