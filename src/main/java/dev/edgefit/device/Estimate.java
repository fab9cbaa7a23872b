package dev.edgefit.device;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.List;
import java.util.Map;

/**
 * What a model will ask of one device: an estimate (or, for this machine, a measurement).
 *
 * @param device       profile id
 * @param deviceName   profile name
 * @param runtime      the runtime estimated
 * @param precision    the precision estimated: the model's own ({@code as-is}) or the one asked for
 * @param latencyMs    one inference, milliseconds; null when the profile lacks the figures to estimate
 * @param errorBandPct how far off the figure may be, in percent as a factor (see {@link Calibration}); 0 when
 *                     measured; null without an estimate
 * @param basis        what the figure rests on: the calibration level, or "measured on this machine"
 * @param measured     true when the latency was measured here, not estimated
 * @param peakRamBytes weights held in RAM + the largest live activation set + the runtime's own memory
 * @param flashBytes   the model file's size (estimated from the weights when another precision is asked for)
 * @param energyMj     energy of one inference: typical power x latency; null without a power figure
 * @param fits         every constraint passes (see {@link #verdict()}: a latency band wider than the estimate never fits)
 * @param reasons      one sentence per failed constraint or caveat (fallback operators, missing figures)
 * @param fallbackOps  operator type -> count of operators that run on the fallback CPU runtime
 * @param checks       each constraint with its limit, figure and margin
 * @param formats      the artifact formats the device's runtimes read
 * @param resourceClass the device's resource class
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"device", "deviceName", "runtime", "precision", "latencyMs", "errorBandPct", "basis", "measured",
        "peakRamBytes", "flashBytes", "energyMj", "fits", "verdict", "reasons"})
public record Estimate(String device, String deviceName, String runtime, String precision, Double latencyMs, Double errorBandPct,
                       String basis, boolean measured, long peakRamBytes, long flashBytes, Double energyMj, boolean fits,
                       List<String> reasons, Map<String, Integer> fallbackOps, List<FitCheck.ConstraintResult> checks,
                       List<String> formats, ResourceClass resourceClass) {
    public Estimate {
        reasons = List.copyOf(reasons);
        fallbackOps = Map.copyOf(fallbackOps);
        checks = List.copyOf(checks);
        formats = List.copyOf(formats);
    }

    /** The verdict of the checks ({@link FitCheck#overall}); not measured when there is no latency figure at all. */
    @com.fasterxml.jackson.annotation.JsonProperty("verdict")
    public FitCheck.Status verdict() {
        FitCheck.Status s = FitCheck.overall(checks);
        return s == FitCheck.Status.PASS && latencyMs == null ? FitCheck.Status.NOT_MEASURED : s;
    }

    /** True when the latency band is wider than the estimate itself: the figure says nothing about a limit. */
    public boolean bandTooWide() {
        return !measured && errorBandPct != null && errorBandPct > FitCheck.MAX_BAND_PCT;
    }

    /**
     * This estimate judged again by other checks (e.g. with a TFLite Micro export's arena as peak RAM): fits and the
     * "over the limit" reasons follow the new checks.
     */
    public Estimate withChecks(List<FitCheck.ConstraintResult> newChecks, long newPeakRamBytes) {
        List<String> rs = new java.util.ArrayList<>(reasons);
        rs.removeIf(r -> r.contains(" is over the limit of "));
        int i = 0;
        for (FitCheck.ConstraintResult r : newChecks) {
            if (r.status() == FitCheck.Status.FAIL) {
                rs.add(i++, r.name() + " " + r.actual() + " is over the limit of " + r.limit() + ".");
            }
        }
        boolean f = FitCheck.overall(newChecks) == FitCheck.Status.PASS && latencyMs != null;
        return new Estimate(device, deviceName, runtime, precision, latencyMs, errorBandPct, basis, measured, newPeakRamBytes, flashBytes,
                energyMj, f, rs, fallbackOps, newChecks, formats, resourceClass);
    }

    /** "est. 41 ms ±30%", "est. 171 s ±29%", "12.3 ms (measured)" or "no estimate". */
    public String latencyText() {
        if (latencyMs == null) {
            return "no estimate";
        }
        String t = latencyMs >= 10_000 ? String.format(java.util.Locale.ROOT, "%.0f s", latencyMs / 1000) : Constraints.formatMillis(latencyMs);
        if (measured) {
            return t + " (measured)";
        }
        if (bandTooWide()) {
            return FitCheck.UNKNOWN_LATENCY;
        }
        return String.format(java.util.Locale.ROOT, "est. %s ±%.0f%%", t, errorBandPct);
    }

    /** "est. 1.57 mJ", "0.2 mJ" when measured, or "–" without a power figure. */
    public String energyText() {
        if (energyMj != null && bandTooWide()) {
            return "unknown";
        }
        return energyMj == null ? "–" : String.format(java.util.Locale.ROOT, "%s%.3g mJ", measured ? "" : "est. ", energyMj);
    }
}
