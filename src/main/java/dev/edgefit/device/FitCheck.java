package dev.edgefit.device;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Compares measured figures with {@link Constraints}. Only limits that are set are reported. A limit whose
 * figure was not measured is {@link Status#NOT_MEASURED}, never a pass.
 *
 * <p>Latency and peak RAM here are what EdgeFit measured on <em>this machine</em>; they say whether the
 * model meets the limit here, not on the target device, and every result's note says so.
 */
public final class FitCheck {
    public static final String MODEL_SIZE = "Model size";
    public static final String PEAK_RAM = "Peak RAM";
    public static final String LATENCY = "Latency";

    static final String MODEL_NOTE = "size of the artifact file on disk";
    static final String RAM_NOTE = "peak resident memory of loading the model and running it once, in a process of its own, measured on this machine, not on the device";
    static final String LATENCY_NOTE = "measured on this machine, not on the device";

    /** Outcome of one constraint. */
    public enum Status {
        PASS, FAIL, NOT_MEASURED;

        @com.fasterxml.jackson.annotation.JsonValue
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * One constraint checked.
     *
     * @param name      {@link #MODEL_SIZE}, {@link #PEAK_RAM} or {@link #LATENCY}
     * @param limit     the limit as text, e.g. "8 MiB"
     * @param actual    the measured figure as text in the limit's units, or "not measured"
     * @param status    pass, fail or not measured
     * @param marginPct headroom as a percentage of the limit: (limit - actual) / limit * 100; negative when
     *                  over the limit; NaN when not measured
     * @param note      what the figure is and where it was measured
     */
    public record ConstraintResult(String name, String limit, String actual, Status status, double marginPct, String note) {
        /** True only for {@link Status#PASS}. */
        public boolean pass() {
            return status == Status.PASS;
        }

        /** The margin as people read it: "+92%", "-39%", or "21.6x the limit" when twice the limit or more; "" if none. */
        public String marginText() {
            return marginText(marginPct);
        }

        /** {@link #marginText()} of a headroom percentage (NaN or null: ""). */
        public static String marginText(Double marginPct) {
            if (marginPct == null || Double.isNaN(marginPct)) {
                return "";
            }
            double times = 1 - marginPct / 100;
            if (times >= 2) {
                return String.format(java.util.Locale.ROOT, times >= 10 ? "%.0fx the limit" : "%.1fx the limit", times);
            }
            return String.format(java.util.Locale.ROOT, "%+.0f%%", marginPct);
        }
    }

    private FitCheck() {
    }

    /**
     * Checks each limit set in {@code c}.
     *
     * @param modelFileBytes size of the artifact on disk
     * @param peakRamBytes   peak memory measured on this machine, or null if not measured
     * @param hostLatencyMs  latency measured on this machine (e.g. the median), or null if not measured
     */
    public static List<ConstraintResult> check(Constraints c, long modelFileBytes, Long peakRamBytes, Double hostLatencyMs) {
        List<ConstraintResult> out = new ArrayList<>();
        if (c == null) {
            return out;
        }
        if (c.maxModelBytes() != null) {
            out.add(bytes(MODEL_SIZE, c.maxModelBytes(), modelFileBytes, MODEL_NOTE));
        }
        if (c.maxRamBytes() != null) {
            out.add(peakRamBytes == null || peakRamBytes < 0
                    ? notMeasured(PEAK_RAM, Constraints.formatBytes(c.maxRamBytes()), "peak memory was not measured")
                    : bytes(PEAK_RAM, c.maxRamBytes(), peakRamBytes, RAM_NOTE));
        }
        if (c.maxLatencyMs() != null) {
            double limit = c.maxLatencyMs();
            if (hostLatencyMs == null || hostLatencyMs.isNaN()) {
                out.add(notMeasured(LATENCY, Constraints.formatMillis(limit), "latency was not measured"));
            } else {
                double actual = hostLatencyMs;
                out.add(new ConstraintResult(LATENCY, Constraints.formatMillis(limit), Constraints.formatMillis(actual),
                        actual <= limit ? Status.PASS : Status.FAIL, margin(limit, actual), LATENCY_NOTE));
            }
        }
        return out;
    }

    /**
     * Checks an estimate for a device: model size against {@code maxModelBytes} (else the device's storage), peak
     * RAM against {@code maxRamBytes} (else its RAM, external RAM included) and latency against
     * {@code maxLatencyMs} when set. Every result says that it is an estimate.
     */
    public static List<ConstraintResult> checkEstimate(Constraints c, DeviceProfile d, long flashBytes, long peakRamBytes,
                                                       Double latencyMs, double bandPct) {
        Constraints k = c == null ? Constraints.NONE : c;
        List<ConstraintResult> out = new ArrayList<>();
        long flashLimit = k.maxModelBytes() != null ? k.maxModelBytes() : d.storageBytes();
        out.add(bytes(MODEL_SIZE, flashLimit, flashBytes, k.maxModelBytes() != null ? "model file size against the limit"
                : "model file size against the device's storage"));
        long ramLimit = k.maxRamBytes() != null ? k.maxRamBytes()
                : d.ramBytes() + (d.externalRamBytes() == null ? 0 : d.externalRamBytes());
        out.add(bytes(PEAK_RAM, ramLimit, peakRamBytes, "est. weights in RAM + largest live activations + runtime"
                + (k.maxRamBytes() != null ? ", against the limit" : ", against the device's RAM")));
        if (k.maxLatencyMs() != null) {
            double limit = k.maxLatencyMs();
            if (latencyMs == null) {
                out.add(notMeasured(LATENCY, Constraints.formatMillis(limit), "no estimate for this device"));
            } else {
                out.add(new ConstraintResult(LATENCY, Constraints.formatMillis(limit), "est. " + Constraints.formatMillis(latencyMs),
                        latencyMs <= limit ? Status.PASS : Status.FAIL, margin(limit, latencyMs),
                        String.format(java.util.Locale.ROOT, "estimate, ±%.0f%%", bandPct)));
            }
        }
        return out;
    }

    /** FAIL if any failed, else NOT_MEASURED if any was not measured, else PASS (also for no results). */
    public static Status overall(List<ConstraintResult> results) {
        boolean missing = false;
        for (ConstraintResult r : results) {
            if (r.status() == Status.FAIL) {
                return Status.FAIL;
            }
            missing |= r.status() == Status.NOT_MEASURED;
        }
        return missing ? Status.NOT_MEASURED : Status.PASS;
    }

    private static ConstraintResult bytes(String name, long limit, long actual, String note) {
        boolean si = Constraints.prefersSi(limit);
        return new ConstraintResult(name, Constraints.formatBytes(limit, si), Constraints.formatBytes(actual, si),
                actual <= limit ? Status.PASS : Status.FAIL, margin(limit, actual), note);
    }

    private static ConstraintResult notMeasured(String name, String limit, String note) {
        return new ConstraintResult(name, limit, "not measured", Status.NOT_MEASURED, Double.NaN, note);
    }

    private static double margin(double limit, double actual) {
        return (limit - actual) / limit * 100.0;
    }
}
