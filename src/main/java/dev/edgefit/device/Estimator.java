package dev.edgefit.device;

import dev.edgefit.device.DeviceProfile.Accelerator;
import dev.edgefit.device.DeviceProfile.CpuCluster;
import dev.edgefit.device.DeviceProfile.Runtime;
import dev.edgefit.device.DeviceProfile.Target;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * A roofline model of one inference on a device: each operator takes the longer of its compute time (its
 * operations at the runtime's effective throughput for its precision) and its memory time (weights and
 * activations at the device's memory bandwidth, when the profile gives one), plus the runtime's fixed cost per
 * operator; the operators add up.
 *
 * <ul>
 *   <li>Peak throughput: on the CPU, threads x clock x {@code cpu.macsPerCycle[precision]} x 2 operations (the
 *       threads take the fastest cores first); on an accelerator, its published {@code peakGops[precision]}.</li>
 *   <li>Effective throughput: peak x the runtime's efficiency for that precision, fitted by {@link Calibration}
 *       to the device's published latencies of reference models.</li>
 *   <li>An operator the runtime does not take (its {@code ops} list) or whose precision it does not run goes to the
 *       runtime's {@code fallback} CPU runtime; a CPU runtime without the precision runs it in fp32.</li>
 * </ul>
 */
public final class Estimator {
    private Estimator() {
    }

    /** Efficiency (fraction of peak) of a runtime for a precision. */
    @FunctionalInterface
    public interface Efficiency extends BiFunction<Runtime, String, Double> {
    }

    /**
     * Where each operator runs and in which precision.
     *
     * @param runtime   the runtime that executes it
     * @param precision the precision it executes in
     * @param fellBack  true when it left the chosen runtime for the fallback
     */
    public record Placement(Runtime runtime, String precision, boolean fellBack) {
    }

    /** The time of one inference in seconds; {@code perOp}, when not null, receives each operator's seconds. */
    public static double seconds(Workload w, DeviceProfile d, Runtime r, Efficiency eff, double[] perOp) {
        double total = 0;
        Double bw = d.memoryBandwidthGBs();
        for (int i = 0; i < w.ops().size(); i++) {
            Workload.Op op = w.ops().get(i);
            Placement p = place(op, d, r);
            double peak = peakOpsPerSecond(d, p.runtime(), p.precision());
            double work = op.hasMacs() ? 2.0 * op.macs() : op.macs();
            double compute = work == 0 ? 0 : work / (peak * eff.apply(p.runtime(), p.precision()));
            double memory = bw == null ? 0 : (op.weightBytes() + op.inBytes() + op.outBytes()) / (bw * 1e9);
            double overhead = p.runtime().opOverheadUs() == null ? 0 : p.runtime().opOverheadUs() * 1e-6;
            double t = Math.max(compute, memory) + overhead;
            if (perOp != null) {
                perOp[i] = t;
            }
            total += t;
        }
        return total;
    }

    /** Where an operator runs: the runtime if it takes the operator in its precision, else its fallback. */
    public static Placement place(Workload.Op op, DeviceProfile d, Runtime r) {
        if (r.takes(op.opType()) && r.runs(op.precision())) {
            return new Placement(r, op.precision(), false);
        }
        if (r.fallback() != null) {
            Runtime f = d.runtime(r.fallback()).orElseThrow();
            return new Placement(f, f.runs(op.precision()) ? op.precision() : "fp32", true);
        }
        return new Placement(r, r.runs(op.precision()) || r.target() != Target.CPU ? op.precision() : "fp32", false);
    }

    /**
     * Peak operations per second (a MAC is two) of a runtime's target for a precision; a precision without its own
     * figure uses the fp32 one (then fp16, then any).
     *
     * @throws IllegalStateException when the profile has no throughput figure for the target
     */
    public static double peakOpsPerSecond(DeviceProfile d, Runtime r, String precision) {
        if (r.target() == Target.CPU) {
            Map<String, Double> mpc = d.cpu().macsPerCycle();
            Double perCycle = pick(mpc, precision);
            if (perCycle != null && !r.vectorized()) {
                perCycle = 1.0;
            }
            if (perCycle == null) {
                throw new IllegalStateException(d.id() + " has no cpu.macsPerCycle, so its CPU throughput is unknown");
            }
            return 2.0 * perCycle * 1e6 * threadMhz(d, r.threads());
        }
        Accelerator a = d.accelerator(r.target().acceleratorKind()).orElseThrow();
        Double gops = pick(a.peakGops(), precision);
        if (gops == null) {
            throw new IllegalStateException(d.id() + ": " + a.name() + " has no published peakGops, so its throughput is unknown");
        }
        return gops * 1e9;
    }

    /** True when the device has the throughput figures this runtime needs. */
    public static boolean canEstimate(DeviceProfile d, Runtime r) {
        try {
            peakOpsPerSecond(d, r, "fp32");
            if (r.fallback() != null) {
                peakOpsPerSecond(d, d.runtime(r.fallback()).orElseThrow(), "fp32");
            }
            return d.cpu().clockMhz() != null || r.target() != Target.CPU;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Sum of the clocks (MHz) of the {@code threads} fastest cores. */
    static double threadMhz(DeviceProfile d, int threads) {
        int clock = d.cpu().clockMhz() == null ? 0 : d.cpu().clockMhz();
        if (d.cpu().clusters().isEmpty()) {
            return (double) Math.min(threads, d.cpu().cores()) * clock;
        }
        List<CpuCluster> cl = new ArrayList<>(d.cpu().clusters());
        cl.sort(Comparator.comparingInt(CpuCluster::clockMhz).reversed());
        double sum = 0;
        int left = threads;
        for (CpuCluster c : cl) {
            int n = Math.min(left, c.count());
            sum += (double) n * c.clockMhz();
            left -= n;
            if (left <= 0) {
                break;
            }
        }
        return sum;
    }

    private static Double pick(Map<String, Double> m, String precision) {
        if (m.containsKey(precision)) {
            return m.get(precision);
        }
        for (String p : List.of("fp32", "fp16")) {
            if (m.containsKey(p)) {
                return m.get(p);
            }
        }
        return m.isEmpty() ? null : m.values().iterator().next();
    }

    /** Operators that leave the runtime for its fallback, counted by operator type. */
    public static Map<String, Integer> fallbackOps(Workload w, DeviceProfile d, Runtime r) {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (Workload.Op op : w.ops()) {
            if (place(op, d, r).fellBack()) {
                out.merge(op.opType(), 1, Integer::sum);
            }
        }
        return out;
    }
}
