package dev.edgefit.device;

import dev.edgefit.device.DeviceProfile.Measurement;
import dev.edgefit.device.DeviceProfile.Runtime;

import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The estimator's calibration: each published latency in the profiles' {@code measurements} gives the
 * efficiency (fraction of peak throughput) at which that runtime ran that reference model on that device,
 * found by solving {@link Estimator#seconds} = the published time. A (device, runtime, precision) then takes
 * the geometric mean of the most specific rows there are, in this order ({@link Level}): the same device and
 * runtime; the same runtime on other devices; runtimes on the same kind of processor in devices of the same
 * class; the same kind of processor anywhere; all rows.
 *
 * <p>The error is measured, not assumed: {@link #leaveOneOut()} removes each row in turn, predicts it from the
 * rest, and compares. A per-operator cost that a profile fitted to its own measurements ({@code opOverheadFitted})
 * is left out of that check (efficiencies are solved again without it), so no row is predicted with a figure derived
 * from that row. The band shown beside an estimate ({@link #bandPct(Level)}) is the worst such error
 * among the rows predicted at that level or a more specific one: the figure a user should expect to be off by,
 * as a factor: a band of 40% means the published figure was within est/1.4 .. est*1.4.
 */
public final class Calibration {
    /** How specific the rows behind an efficiency are. */
    public enum Level {
        DEVICE("fitted to published figures of this device and runtime"),
        RUNTIME("fitted to the same runtime on other devices"),
        CLASS("fitted to runtimes on the same kind of processor in devices of the same class"),
        TARGET("fitted to runtimes on the same kind of processor"),
        ALL("fitted to all published figures");

        private final String text;

        Level(String text) {
            this.text = text;
        }

        public String text() {
            return text;
        }

        @com.fasterxml.jackson.annotation.JsonValue
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** A published latency with the efficiency it implies. */
    public record Row(DeviceProfile device, Runtime runtime, Measurement measurement, double efficiency) {
        String key() {
            return device.id() + "/" + runtime.id() + "/" + measurement.model() + "/" + measurement.precision();
        }
    }

    /** An efficiency and where it came from. */
    public record Fit(double efficiency, Level level, int rows) {
    }

    /**
     * One leave-one-out prediction.
     *
     * @param ratio predicted / published
     */
    public record Check(Row row, Fit fit, double predictedMs, double ratio) {
        /** The error as a band: (max(ratio, 1/ratio) - 1) x 100. */
        public double errorPct() {
            return (Math.max(ratio, 1 / ratio) - 1) * 100;
        }
    }

    static final double MIN_EFFICIENCY = 1e-5;
    static final double MAX_EFFICIENCY = 10;

    private final List<Row> rows;
    private final List<Check> checks;
    private final Map<Level, Double> bands = new EnumMap<>(Level.class);

    private Calibration(List<Row> rows, List<Row> independent) {
        this.rows = List.copyOf(rows);
        List<Check> cs = new ArrayList<>();
        for (Row r : independent) {
            Fit f = fit(independent, r.device(), r.runtime(), r.measurement().precision(), q -> q != r);
            if (f == null) {
                continue;
            }
            double ms = predictMs(r, f.efficiency());
            cs.add(new Check(r, f, ms, ms / r.measurement().latencyMs()));
        }
        this.checks = List.copyOf(cs);
        double worstAll = checks.stream().mapToDouble(Check::errorPct).max().orElse(Double.NaN);
        double sofar = Double.NaN;
        for (Level l : Level.values()) {
            double raw = checks.stream().filter(c -> c.fit().level() == l).mapToDouble(Check::errorPct).max().orElse(Double.NaN);
            double band = Double.isNaN(raw) ? sofar : Double.isNaN(sofar) ? raw : Math.max(raw, sofar);
            bands.put(l, band);
            if (!Double.isNaN(band)) {
                sofar = band;
            }
        }
        // Levels more specific than any measured one take the first measured band; none measured: the worst.
        Double first = null;
        for (Level l : Level.values()) {
            if (!Double.isNaN(bands.get(l))) {
                first = bands.get(l);
                break;
            }
        }
        for (Level l : Level.values()) {
            if (Double.isNaN(bands.get(l))) {
                bands.put(l, first != null ? first : worstAll);
            }
        }
    }

    /** Fits every measurement of every profile that has the figures to estimate with. */
    public static Calibration of(Collection<DeviceProfile> profiles) {
        List<Row> rows = new ArrayList<>();
        List<Row> independent = new ArrayList<>();
        for (DeviceProfile d : profiles) {
            for (Measurement m : d.measurements()) {
                Runtime r = d.runtime(m.runtime()).orElse(null);
                if (r == null || !Estimator.canEstimate(d, r) || !ReferenceWorkloads.ids().contains(m.model())) {
                    continue;
                }
                Workload w = ReferenceWorkloads.workload(m.model(), m.precision());
                Row row = new Row(d, r, m, solve(d, r, w, m.latencyMs()));
                rows.add(row);
                Runtime free = r.withoutFittedOverhead();
                independent.add(free == r ? row : new Row(d, free, m, solve(d, free, w, m.latencyMs())));
            }
        }
        return new Calibration(rows, independent);
    }

    /** The efficiency at which {@code w} takes {@code ms} milliseconds on the device's runtime. */
    static double solve(DeviceProfile d, Runtime r, Workload w, double ms) {
        double target = ms / 1000;
        double lo = Math.log(MIN_EFFICIENCY);
        double hi = Math.log(MAX_EFFICIENCY);
        for (int i = 0; i < 100; i++) {
            double mid = (lo + hi) / 2;
            double e = Math.exp(mid);
            double t = Estimator.seconds(w, d, r, (rt, p) -> e, null);
            if (t > target) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return Math.exp((lo + hi) / 2);
    }

    private static double predictMs(Row r, double eff) {
        Workload w = ReferenceWorkloads.workload(r.measurement().model(), r.measurement().precision());
        return Estimator.seconds(w, r.device(), r.runtime(), (rt, p) -> eff, null) * 1000;
    }

    /** The rows, one per published latency that could be fitted. */
    public List<Row> rows() {
        return rows;
    }

    /** Every row predicted from the others. */
    public List<Check> leaveOneOut() {
        return checks;
    }

    /** The error band (percent, as a factor; see the class comment) of estimates at a level, over all rows. */
    public double bandPct(Level l) {
        return bands.get(l);
    }

    /**
     * The error band of an estimate at a level for a device of a class: the worst leave-one-out error among rows of
     * that class predicted at that level; where the class has none at that level, the worst among its rows predicted
     * at less specific levels; where it has none of those either, {@link #bandPct(Level)}. Never narrower than the
     * band of a more specific level.
     */
    public double bandPct(Level l, ResourceClass c) {
        double band = Double.NaN;
        for (Level k : Level.values()) {
            double here = worst(c, q -> q == k);
            if (Double.isNaN(here)) {
                here = worst(c, q -> q.ordinal() > k.ordinal());
            }
            if (Double.isNaN(here)) {
                here = bandPct(k);
            }
            band = Double.isNaN(band) ? here : Math.max(band, here);
            if (k == l) {
                break;
            }
        }
        return band;
    }

    private double worst(ResourceClass c, Predicate<Level> at) {
        double worst = Double.NaN;
        for (Check k : checks) {
            if (k.row().device().resourceClass() == c && at.test(k.fit().level())) {
                worst = Double.isNaN(worst) ? k.errorPct() : Math.max(worst, k.errorPct());
            }
        }
        return worst;
    }

    /** The efficiency of a runtime of a device for a precision, from the most specific rows; null with no rows. */
    public Fit efficiency(DeviceProfile d, Runtime r, String precision) {
        return fit(rows, d, r, precision, q -> true);
    }

    private static Fit fit(List<Row> rows, DeviceProfile d, Runtime r, String precision, Predicate<Row> use) {
        List<Predicate<Row>> levels = List.of(
                q -> q.device().id().equals(d.id()) && q.runtime().id().equals(r.id()),
                q -> q.runtime().id().equals(r.id()),
                q -> q.runtime().target() == r.target() && q.device().resourceClass() == d.resourceClass(),
                q -> q.runtime().target() == r.target(),
                q -> true);
        for (int i = 0; i < levels.size(); i++) {
            Predicate<Row> at = levels.get(i);
            List<Row> match = rows.stream().filter(use).filter(at).toList();
            if (match.isEmpty()) {
                continue;
            }
            List<Row> same = match.stream().filter(q -> q.measurement().precision().equals(precision)).toList();
            List<Row> chosen = same.isEmpty() ? match : same;
            double logSum = 0;
            for (Row q : chosen) {
                logSum += Math.log(q.efficiency());
            }
            return new Fit(Math.exp(logSum / chosen.size()), Level.values()[i], chosen.size());
        }
        return null;
    }
}
