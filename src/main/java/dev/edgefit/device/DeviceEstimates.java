package dev.edgefit.device;

import dev.edgefit.common.EdgeFitException;
import dev.edgefit.device.DeviceProfile.Runtime;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Estimates for a model on several devices at once: the entry point of the CLI's {@code estimate} and
 * {@code compare} and of the workbench's comparison table. The model's workload is computed once; each device
 * gets its best runtime (the fastest estimate) unless one is named. This machine is measured, not estimated.
 */
public final class DeviceEstimates {
    private DeviceEstimates() {
    }

    /**
     * @param natural      the model's workload as it is
     * @param converted    its workload in {@code precision}, or null when {@code precision} is null
     * @param fileBytes    the model file's size on disk
     * @param runtime      a runtime id to use on every device, or null for each device's fastest
     * @param precision    {@code int8}, {@code fp16}, {@code fp32}, or null for the model's own
     * @param constraints  limits for every device, or null for each device's default constraints
     * @param hostLatency  measures the model's latency on this machine (ms), asked only for {@code this-machine}
     */
    public static List<Estimate> estimate(Workload natural, Workload converted, long fileBytes, Collection<DeviceProfile> devices,
                                          String runtime, String precision, Constraints constraints, Calibration cal,
                                          Supplier<Double> hostLatency) {
        return estimate(natural, converted, fileBytes, devices, runtime, precision, constraints, cal, hostLatency, null);
    }

    /**
     * As above; without a named runtime, each device gets its fastest runtime among those that read one of the
     * {@code written} formats (what EdgeFit can write for this model, see export.ExportFormat#writtenFor), and the
     * estimate says when a runtime that reads none of them would be faster. Null: every runtime is a candidate.
     */
    public static List<Estimate> estimate(Workload natural, Workload converted, long fileBytes, Collection<DeviceProfile> devices,
                                          String runtime, String precision, Constraints constraints, Calibration cal,
                                          Supplier<Double> hostLatency, Collection<String> written) {
        return estimateMeasured(natural, converted, fileBytes, devices, runtime, precision, constraints, cal,
                hostLatency == null ? null : () -> new FitCheck.Measured(fileBytes, null, hostLatency.get()), written);
    }

    /**
     * As above, with what was measured on this machine (latency and peak memory), asked only for {@code this-machine}:
     * there the measured figures are the device's figures.
     */
    public static List<Estimate> estimateMeasured(Workload natural, Workload converted, long fileBytes, Collection<DeviceProfile> devices,
                                                  String runtime, String precision, Constraints constraints, Calibration cal,
                                                  Supplier<FitCheck.Measured> host, Collection<String> written) {
        if (precision != null && !DeviceCatalog.PRECISIONS.contains(precision)) {
            throw EdgeFitException.badParameter("precision '" + precision + "' is unknown; use one of " + String.join(", ", DeviceCatalog.PRECISIONS) + ".");
        }
        Workload w = precision == null ? natural : converted;
        long flash = precision == null ? fileBytes : Math.max(converted.weightBytes(), fileBytes - natural.weightBytes() + converted.weightBytes());
        List<Estimate> out = new ArrayList<>();
        for (DeviceProfile d : devices) {
            out.add(one(w, flash, d, runtime, precision, constraints, cal, host, written));
        }
        return out;
    }

    /** The fastest of some runtimes on a device, with the calibration fit behind its band. */
    private record Pick(Runtime runtime, double ms, Calibration.Fit fit) {
    }

    private static Pick fastest(Workload w, DeviceProfile d, List<Runtime> candidates, Calibration cal) {
        Pick best = null;
        for (Runtime r : candidates) {
            Calibration.Fit main = cal.efficiency(d, r, w.ops().isEmpty() ? "fp32" : dominantPrecision(w));
            if (main == null) {
                continue;
            }
            Calibration.Fit fit = main;
            if (r.fallback() != null && !Estimator.fallbackOps(w, d, r).isEmpty()) {
                // operators run on the fallback too: the band is the wider of the two runtimes' levels
                Calibration.Fit fb = cal.efficiency(d, d.runtime(r.fallback()).orElseThrow(), "fp32");
                if (fb != null && fb.level().ordinal() > fit.level().ordinal()) {
                    fit = fb;
                }
            }
            double t = Estimator.seconds(w, d, r, (rt, p) -> {
                Calibration.Fit f = cal.efficiency(d, rt, p);
                return f == null ? main.efficiency() : f.efficiency();
            }, null) * 1000;
            if (best == null || t < best.ms()) {
                best = new Pick(r, t, fit);
            }
        }
        return best;
    }

    static Estimate one(Workload w, long flash, DeviceProfile d, String runtimeId, String precision, Constraints constraints,
                        Calibration cal, Supplier<FitCheck.Measured> host, Collection<String> written) {
        Constraints c = constraints != null ? constraints : d.defaultConstraints();
        String prec = precision == null ? "as-is" : precision;
        List<String> reasons = new ArrayList<>();
        Runtime chosen = null;
        Double ms = null;
        Double band = null;
        String basis;
        boolean measured = false;
        Map<String, Integer> fallback = Map.of();
        FitCheck.Measured here = null;
        if (HostInfo.THIS_MACHINE.equals(d.id())) {
            chosen = d.runtimes().isEmpty() ? null : d.runtimes().get(0);
            here = host == null ? null : host.get();
            ms = here == null ? null : here.latencyMs();
            band = ms == null ? null : 0.0;
            measured = ms != null;
            basis = ms == null ? "not measured" : "measured on this machine with ONNX Runtime (median)";
            if (precision != null) {
                reasons.add("This machine runs the model as it is; --precision applies to estimates only.");
            }
        } else {
            List<Runtime> candidates = new ArrayList<>();
            if (runtimeId != null) {
                d.runtime(runtimeId).ifPresentOrElse(candidates::add, () -> reasons.add(d.name() + " has no runtime '" + runtimeId
                        + "' (it has " + String.join(", ", d.runtimeIds()) + ")."));
            } else {
                candidates.addAll(d.runtimes());
            }
            if (candidates.size() > 1) {
                // an accelerator that takes none of the operators runs nothing: its fallback is the runtime in use
                candidates.removeIf(r -> r.fallback() != null && Estimator.fallbackOps(w, d, r).values().stream()
                        .mapToInt(Integer::intValue).sum() == w.ops().size() && d.runtime(r.fallback()).isPresent());
            }
            candidates.removeIf(r -> {
                boolean ok = Estimator.canEstimate(d, r);
                if (!ok && runtimeId != null) {
                    reasons.add(d.id() + ".yaml has no throughput figure for " + r.id() + " (cpu.macsPerCycle or the accelerator's peakGops), so there is no estimate.");
                }
                return !ok;
            });
            Pick any = fastest(w, d, candidates, cal);
            Pick pick = any;
            if (runtimeId == null && written != null && any != null && !any.runtime().readsAnyOf(written)) {
                Pick deliverable = fastest(w, d, candidates.stream().filter(r -> r.readsAnyOf(written)).toList(), cal);
                if (deliverable != null) {
                    pick = deliverable;
                    reasons.add(String.format(Locale.ROOT, "%s would be faster (est. %s), but it reads %s and EdgeFit writes %s for this"
                            + " model; the estimate is for %s.", any.runtime().id(), Constraints.formatMillis(any.ms()),
                            String.join(" or ", any.runtime().formats()), String.join(", ", written), deliverable.runtime().id()));
                } else {
                    reasons.add(String.format(Locale.ROOT, "%s reads %s and EdgeFit writes %s for this model: the estimate is for a"
                            + " conversion made elsewhere.", any.runtime().id(), String.join(" or ", any.runtime().formats()), String.join(", ", written)));
                }
            }
            Calibration.Fit worst = pick == null ? null : pick.fit();
            if (pick != null) {
                chosen = pick.runtime();
                ms = pick.ms();
            }
            if (chosen != null) {
                band = cal.bandPct(worst.level(), d.resourceClass());
                basis = worst.level().text() + " (" + worst.rows() + " published figure" + (worst.rows() == 1 ? "" : "s") + ")";
                basis += int8NoFaster(w, d, chosen);
                fallback = Estimator.fallbackOps(w, d, chosen);
                if (!fallback.isEmpty()) {
                    int n = fallback.values().stream().mapToInt(Integer::intValue).sum();
                    reasons.add(String.format(Locale.ROOT, "%d of %d operators fall back from %s to %s: %s.", n, w.ops().size(), chosen.id(),
                            chosen.fallback() == null ? "fp32" : chosen.fallback(), fallback));
                }
            } else {
                basis = "no estimate";
                if (reasons.isEmpty()) {
                    reasons.add(d.id() + ".yaml gives no throughput figures (cpu.macsPerCycle, accelerator peakGops) for any runtime, so there is no latency estimate.");
                }
            }
        }
        long ram = w.peakActivationBytes() + (chosen != null && chosen.weightsInFlash() ? 0 : w.weightBytes())
                + (chosen == null || chosen.ramOverheadBytes() == null ? 0 : chosen.ramOverheadBytes());
        Double power = d.typicalPowerW() != null ? d.typicalPowerW() : d.peakPowerW();
        Double energy = power == null || ms == null ? null : power * ms;
        FitCheck.Figures figures;
        if (HostInfo.THIS_MACHINE.equals(d.id())) {
            // this machine: what was measured is the device's figure; peak memory not measured is not replaced by an estimate
            Long peak = here == null ? null : here.peakRamBytes();
            if (peak != null && peak >= 0) {
                ram = peak;
            } else {
                reasons.add("Peak RAM is the estimate (weights + largest live activations): it was not measured here.");
            }
            figures = new FitCheck.Figures(flash, peak != null && peak >= 0 ? peak : null, FitCheck.RAM_NOTE, ms, 0, true);
        } else {
            figures = new FitCheck.Figures(flash, ram, FitCheck.RAM_ESTIMATE_NOTE, ms, band == null ? 0 : band, false);
        }
        List<FitCheck.ConstraintResult> checks = FitCheck.check(c, d, figures, null);
        if (!measured && band != null && band > FitCheck.MAX_BAND_PCT) {
            reasons.add(String.format(Locale.ROOT, "Latency unknown: the roofline gives %s, but its band (±%.0f%%) is wider than the"
                    + " estimate itself (no calibration for %s on a device like this), so no latency limit is judged met.",
                    Constraints.formatMillis(ms), band, chosen.id()));
        }
        boolean fits = FitCheck.overall(checks) == FitCheck.Status.PASS && ms != null;
        for (FitCheck.ConstraintResult r : checks) {
            if (r.status() == FitCheck.Status.FAIL) {
                reasons.add(0, r.name() + " " + r.actual() + " is over the limit of " + r.limit() + ".");
            }
        }
        return new Estimate(d.id(), d.name(), chosen == null ? null : chosen.id(), prec, ms, band, basis, measured, ram, flash, energy,
                fits, reasons, fallback, checks, d.formats(), d.resourceClass());
    }

    /**
     * "; int8 is estimated no faster than fp32 ..." when int8 operators carry MACs and run on a CPU whose int8 peak is no
     * higher than its fp32 peak (no int8 dot-product instructions, e.g. the Cortex-A72 of a Raspberry Pi 4), else "".
     */
    static String int8NoFaster(Workload w, DeviceProfile d, Runtime r) {
        boolean int8 = w.ops().stream().anyMatch(o -> o.hasMacs() && o.macs() > 0 && o.precision().equals("int8")
                && Estimator.place(o, d, r).precision().equals("int8") && Estimator.place(o, d, r).runtime().target() == DeviceProfile.Target.CPU);
        if (!int8) {
            return "";
        }
        Runtime cpu = r.target() == DeviceProfile.Target.CPU ? r : r.fallback() == null ? null : d.runtime(r.fallback()).orElse(null);
        if (cpu == null || Estimator.peakOpsPerSecond(d, cpu, "int8") > Estimator.peakOpsPerSecond(d, cpu, "fp32")) {
            return "";
        }
        return "; int8 is estimated no faster than fp32 here: " + (d.cpu().model() == null ? "the CPU" : d.cpu().model())
                + " has no int8 dot-product instructions (cpu.macsPerCycle gives int8 the fp32 rate), so int8 matrix products take"
                + " as long as float ones and the quantize operators add time; a CPU with int8 dot products (Armv8.2 SDOT, x86 VNNI)"
                + " runs the same model faster";
    }

    /** The precision most of the workload's MACs compute in. */
    static String dominantPrecision(Workload w) {
        Map<String, Long> by = new java.util.HashMap<>();
        for (Workload.Op o : w.ops()) {
            by.merge(o.precision(), o.macs(), Long::sum);
        }
        return by.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse("fp32");
    }
}
