package dev.edgefit.device;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The one fit check of EdgeFit: the workbench's fit panel, the report and the CLI's {@code report}, {@code estimate}
 * and {@code compare} all judge a model against limits here. Only limits that are set are reported, except that a
 * device's own storage and RAM are limits when no other is given. A limit whose figure is missing is
 * {@link Status#NOT_MEASURED}, never a pass.
 *
 * <p>Whose figures decide: without a device, or for {@link HostInfo#THIS_MACHINE}, the figures measured on this
 * machine; for any other device its estimate ({@link DeviceEstimates}: latency with the calibration's band, peak RAM
 * as weights in RAM + largest live activations + runtime, or a TFLite Micro export's tensor arena), labelled "est.",
 * with this machine's measured figure beside it. A latency estimate whose band is wider than the estimate itself
 * ({@link #MAX_BAND_PCT}) is {@link Status#UNKNOWN}: it never passes.
 */
public final class FitCheck {
    public static final String MODEL_SIZE = "Model size";
    public static final String PEAK_RAM = "Peak RAM";
    public static final String LATENCY = "Latency";
    /** A latency estimate with a wider band than this (in percent, as a factor) says nothing about a limit. */
    public static final double MAX_BAND_PCT = 100.0;
    /** The figure of a latency estimate whose band is wider than {@link #MAX_BAND_PCT}. */
    public static final String UNKNOWN_LATENCY = "unknown (no calibration for this runtime)";

    static final String MODEL_NOTE = "size of the artifact file on disk";
    static final String RAM_NOTE = "peak resident memory of loading the model and running it once, in a process of its own, measured on this machine, not on the device";
    static final String LATENCY_NOTE = "measured on this machine, not on the device";
    static final String RAM_ESTIMATE_NOTE = "est. weights in RAM + largest live activations + runtime";

    /** Outcome of one constraint, and of all of them ({@link #overall}). */
    public enum Status {
        PASS, FAIL, NOT_MEASURED, UNKNOWN;

        @com.fasterxml.jackson.annotation.JsonValue
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The verdict as a word: "yes" (fits), "no", "not measured" or "unknown". */
        public String fitsText() {
            return switch (this) {
                case PASS -> "yes";
                case FAIL -> "no";
                case NOT_MEASURED -> "not measured";
                case UNKNOWN -> "unknown";
            };
        }
    }

    /**
     * One constraint checked.
     *
     * @param name        {@link #MODEL_SIZE}, {@link #PEAK_RAM} or {@link #LATENCY}
     * @param limit       the limit as text, e.g. "8 MiB"
     * @param actual      the figure that decides, as text: measured ("10.28 MiB"), estimated ("est. 98 KiB",
     *                    "est. 9.06 ms ±35%"), "not measured" or {@link #UNKNOWN_LATENCY}
     * @param status      pass, fail, not measured or unknown
     * @param marginPct   headroom as a percentage of the limit: (limit - actual) / limit * 100; negative when
     *                    over the limit; NaN when not measured or unknown
     * @param note        what the figure is and where it comes from
     * @param thisMachine the figure measured on this machine when another device's estimate decides, else null
     */
    public record ConstraintResult(String name, String limit, String actual, Status status, double marginPct, String note,
                                   String thisMachine) {
        public ConstraintResult(String name, String limit, String actual, Status status, double marginPct, String note) {
            this(name, limit, actual, status, marginPct, note, null);
        }

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

        /** "this machine's: 10.28 MiB", or "" when this machine's figure is the one that decides. */
        public String thisMachineText() {
            return thisMachine == null ? "" : "this machine's: " + thisMachine;
        }
    }

    /**
     * Figures measured on this machine.
     *
     * @param fileBytes    size of the artifact on disk
     * @param peakRamBytes peak memory, or null if not measured
     * @param latencyMs    latency (the median), or null if not measured
     */
    public record Measured(long fileBytes, Long peakRamBytes, Double latencyMs) {
    }

    /**
     * Figures of a model on a device: estimated, or for this machine measured.
     *
     * @param flashBytes   the model file's size on the device
     * @param peakRamBytes peak RAM, or null without a figure
     * @param ramNote      what the peak RAM figure is
     * @param latencyMs    one inference, or null without a figure
     * @param bandPct      the latency's error band in percent as a factor (0 when measured)
     * @param measured     true when the figures were measured on this machine
     */
    public record Figures(long flashBytes, Long peakRamBytes, String ramNote, Double latencyMs, double bandPct, boolean measured) {
        /** This machine's measured figures as the device's. */
        public static Figures of(Measured m) {
            return new Figures(m.fileBytes(), m.peakRamBytes(), RAM_NOTE, m.latencyMs(), 0, true);
        }
    }

    private FitCheck() {
    }

    /** True when the figures measured on this machine are the device's: no device, or this machine itself. */
    public static boolean measuredHere(DeviceProfile d) {
        return d == null || HostInfo.THIS_MACHINE.equals(d.id());
    }

    /**
     * The fit of one model on one device, as the workbench and the report judge it: for this machine (or no device)
     * from the measured figures, else from the device's estimate (its peak RAM replaced by {@code arenaBytes} when a
     * TFLite Micro export gives one), with this machine's figures beside.
     *
     * @param c          the limits (null: none but the device's capacities)
     * @param d          the device, or null
     * @param here       what was measured on this machine
     * @param estimate   the device's estimate, or null when there is none (then latency and peak RAM are not measured)
     * @param arenaBytes the tensor arena of a TFLite Micro export for the device, or null
     */
    public static List<ConstraintResult> check(Constraints c, DeviceProfile d, Measured here, Estimate estimate, Long arenaBytes) {
        if (measuredHere(d)) {
            return check(c, d, Figures.of(here), null);
        }
        Figures f;
        if (estimate == null) {
            f = new Figures(here.fileBytes(), null, "no estimate for this device", null, 0, false);
        } else {
            Long ram = arenaBytes != null ? arenaBytes : Long.valueOf(estimate.peakRamBytes());
            String ramNote = arenaBytes != null ? "est. tensor arena of the TFLite Micro export (weights stay in flash)" : RAM_ESTIMATE_NOTE;
            f = new Figures(estimate.flashBytes(), ram, ramNote, estimate.latencyMs(),
                    estimate.errorBandPct() == null ? 0 : estimate.errorBandPct(), false);
        }
        return check(c, d, f, here);
    }

    /**
     * Checks figures against the limits: {@code c}'s, and for a device its storage and RAM where {@code c} sets none.
     * Estimated figures read "est."; a latency band over {@link #MAX_BAND_PCT} is {@link Status#UNKNOWN}.
     *
     * @param f    the figures that decide
     * @param here this machine's measured figures, shown beside estimated ones; null for none
     */
    public static List<ConstraintResult> check(Constraints c, DeviceProfile d, Figures f, Measured here) {
        Constraints k = c == null ? Constraints.NONE : c;
        List<ConstraintResult> out = new ArrayList<>();
        boolean host = d != null && HostInfo.THIS_MACHINE.equals(d.id());
        String place = host ? "measured on this machine, the selected device" : LATENCY_NOTE;
        Long flashLimit = k.maxModelBytes() != null ? k.maxModelBytes() : d != null && d.storageBytes() > 0 ? Long.valueOf(d.storageBytes()) : null;
        if (flashLimit != null) {
            out.add(bytes(MODEL_SIZE, flashLimit, f.flashBytes(), "", MODEL_NOTE + (k.maxModelBytes() != null || d == null ? ""
                    : ", against the device's storage"), null));
        }
        Long ramLimit = k.maxRamBytes() != null ? k.maxRamBytes()
                : d == null ? null : Long.valueOf(d.ramBytes() + (d.externalRamBytes() == null ? 0 : d.externalRamBytes()));
        if (ramLimit != null) {
            String against = k.maxRamBytes() != null || d == null ? "" : ", against the device's RAM";
            String beside = f.measured() || here == null || here.peakRamBytes() == null ? null : Constraints.formatBytes(here.peakRamBytes());
            if (f.peakRamBytes() == null || f.peakRamBytes() < 0) {
                out.add(notMeasured(PEAK_RAM, Constraints.formatBytes(ramLimit),
                        (f.measured() ? "peak memory was not measured" : f.ramNote()) + against, beside));
            } else {
                String note = f.measured() ? (host ? RAM_NOTE.replace("on this machine, not on the device", "on this machine, the selected device")
                        : RAM_NOTE) : f.ramNote();
                out.add(bytes(PEAK_RAM, ramLimit, f.peakRamBytes(), f.measured() ? "" : "est. ", note + against, beside));
            }
        }
        if (k.maxLatencyMs() != null) {
            double limit = k.maxLatencyMs();
            String lim = Constraints.formatMillis(limit);
            String beside = f.measured() || here == null || here.latencyMs() == null ? null : Constraints.formatMillis(here.latencyMs());
            Double ms = f.latencyMs();
            if (ms == null || ms.isNaN()) {
                out.add(notMeasured(LATENCY, lim, f.measured() ? "latency was not measured" : "no estimate for this device", beside));
            } else if (f.measured()) {
                out.add(new ConstraintResult(LATENCY, lim, Constraints.formatMillis(ms), ms <= limit ? Status.PASS : Status.FAIL,
                        margin(limit, ms), place, null));
            } else {
                String est = String.format(Locale.ROOT, "est. %s ±%.0f%%", Constraints.formatMillis(ms), f.bandPct());
                if (f.bandPct() > MAX_BAND_PCT) {
                    out.add(new ConstraintResult(LATENCY, lim, UNKNOWN_LATENCY, Status.UNKNOWN, Double.NaN,
                            est + ": the band is wider than the estimate itself, so the estimate cannot say whether the limit is met", beside));
                } else {
                    out.add(new ConstraintResult(LATENCY, lim, est, ms <= limit ? Status.PASS : Status.FAIL, margin(limit, ms),
                            String.format(Locale.ROOT, "estimate for the device, ±%.0f%% (the calibration's error band)", f.bandPct()), beside));
                }
            }
        }
        return out;
    }

    /**
     * Checks each limit set in {@code c} against figures measured on this machine (no device).
     *
     * @param modelFileBytes size of the artifact on disk
     * @param peakRamBytes   peak memory measured on this machine, or null if not measured
     * @param hostLatencyMs  latency measured on this machine (e.g. the median), or null if not measured
     */
    public static List<ConstraintResult> check(Constraints c, long modelFileBytes, Long peakRamBytes, Double hostLatencyMs) {
        return check(c, null, new Measured(modelFileBytes, peakRamBytes, hostLatencyMs), null, null);
    }

    /**
     * FAIL if any failed, else UNKNOWN if an estimate could not tell, else NOT_MEASURED if any was not measured, else
     * PASS (also for no results). Only PASS means "fits".
     */
    public static Status overall(List<ConstraintResult> results) {
        boolean missing = false;
        boolean unknown = false;
        for (ConstraintResult r : results) {
            if (r.status() == Status.FAIL) {
                return Status.FAIL;
            }
            missing |= r.status() == Status.NOT_MEASURED;
            unknown |= r.status() == Status.UNKNOWN;
        }
        return unknown ? Status.UNKNOWN : missing ? Status.NOT_MEASURED : Status.PASS;
    }

    private static ConstraintResult bytes(String name, long limit, long actual, String prefix, String note, String thisMachine) {
        return new ConstraintResult(name, Constraints.formatBytes(limit), prefix + Constraints.formatBytes(actual),
                actual <= limit ? Status.PASS : Status.FAIL, margin(limit, actual), note, thisMachine);
    }

    private static ConstraintResult notMeasured(String name, String limit, String note, String thisMachine) {
        return new ConstraintResult(name, limit, "not measured", Status.NOT_MEASURED, Double.NaN, note, thisMachine);
    }

    private static double margin(double limit, double actual) {
        return (limit - actual) / limit * 100.0;
    }
}
