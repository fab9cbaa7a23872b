package dev.edgefit.report;

import dev.edgefit.device.Constraints;
import dev.edgefit.device.Calibration;
import dev.edgefit.device.DeviceCatalog;
import dev.edgefit.device.DeviceEstimates;
import dev.edgefit.device.DeviceProfile;
import dev.edgefit.device.Estimate;
import dev.edgefit.device.Workload;
import dev.edgefit.device.FitCheck;
import dev.edgefit.device.HostInfo;
import dev.edgefit.eval.Metrics;
import dev.edgefit.export.Artifact;
import dev.edgefit.export.ExportResult;
import dev.edgefit.export.ExportFormat;
import dev.edgefit.export.ExportService;
import dev.edgefit.model.ModelStats;
import dev.edgefit.pipeline.Experiment;
import dev.edgefit.pipeline.Step;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds a {@link DeploymentReport} from an experiment's measured steps. */
public final class ReportBuilder {
    private ReportBuilder() {
    }

    /**
     * @param stats statistics of the source model (parameters, MACs), computed by the caller once
     */
    public static DeploymentReport from(Experiment ex, ModelStats stats, DeviceProfile device, Constraints constraints,
                                        ExportResult export, HostInfo host) {
        Step current = ex.current();
        var model = new DeploymentReport.ModelInfo(ex.sourceFile().getFileName().toString(), ExportService.size(ex.sourceFile()),
                ExportService.sha256(ex.sourceFile()), ex.source().opset(), stats == null ? 0 : stats.parameters(),
                stats == null ? null : stats.macs(), stats == null ? Map.of() : stats.opHistogram());
        Map<String, Object> hostMap = new LinkedHashMap<>();
        if (host != null) {
            hostMap.put("cpu", host.cpuModel());
            hostMap.put("physicalCores", host.physicalCores());
            hostMap.put("logicalCores", host.logicalCores());
            hostMap.put("ramBytes", host.totalRamBytes());
            hostMap.put("os", host.os());
        }
        if (current != null && current.metrics() != null) {
            hostMap.put("runtime", current.metrics().runtime());
        }
        Map<String, Object> dev = new LinkedHashMap<>();
        Constraints c = constraints != null ? constraints : device != null ? device.defaultConstraints() : null;
        Estimate est = null;
        Long arena = arenaBytes(export);
        if (device != null) {
            dev.put("id", device.id());
            dev.put("name", device.name());
            dev.put("platform", device.platform().id());
            dev.put("resourceClass", device.resourceClass().id());
            dev.put("ramBytes", device.ramBytes());
            dev.put("storageBytes", device.storageBytes());
            dev.put("formats", device.formats());
            if (current != null && current.snapshot() != null && current.metrics() != null) {
                est = estimate(device, current, constraints, ex.inputs());
            }
        }
        List<DeploymentReport.ConstraintRow> rows = new ArrayList<>();
        if (current != null && current.metrics() != null && (c != null || device != null)) {
            Metrics m = current.metrics();
            FitCheck.Measured here = new FitCheck.Measured(m.fileBytes(), m.peakMemoryBytes(), m.latencyMs() == null ? null : m.latencyMs().p50());
            Long ram = FitCheck.measuredHere(device) ? null : arena;
            List<FitCheck.ConstraintResult> checks = FitCheck.check(c, device, here, est, ram);
            for (FitCheck.ConstraintResult r : checks) {
                rows.add(new DeploymentReport.ConstraintRow(r.name(), r.limit(), r.actual(), r.status().name(),
                        Double.isNaN(r.marginPct()) ? null : r.marginPct(), r.note(), r.thisMachine()));
            }
            if (device != null) {
                // the Fits line and the limit rows are one verdict
                if (est != null) {
                    est = est.withChecks(checks, ram != null ? ram : est.peakRamBytes());
                }
                FitCheck.Status v = FitCheck.overall(checks);
                if (v == FitCheck.Status.PASS && (est == null || est.latencyMs() == null)) {
                    v = FitCheck.Status.NOT_MEASURED;
                }
                dev.put("verdict", v);
            }
        }
        if (est != null) {
            dev.put("estimate", est);
        }
        List<DeploymentReport.StepRow> steps = new ArrayList<>();
        for (Step s : ex.steps()) {
            Metrics m = s.metrics();
            steps.add(new DeploymentReport.StepRow(s.index(), s.techniqueId(), s.params(), s.status().name(),
                    m == null ? 0 : m.fileBytes(), m == null ? null : m.accuracy(), s.retention(),
                    m == null || m.fidelity() == null ? null : m.fidelity().meanCosine(),
                    m == null || m.fidelity() == null ? null : m.fidelity().top1Agreement(),
                    m == null || m.fidelity() == null || Double.isInfinite(m.fidelity().sqnrDb()) ? null : m.fidelity().sqnrDb(),
                    m == null || m.latencyMs() == null ? null : m.latencyMs().p50(),
                    m == null || m.latencyMs() == null ? null : m.latencyMs().p90(),
                    m == null || m.latencyMs() == null ? null : m.latencyMs().p99(),
                    m == null ? null : m.peakMemoryBytes(), s.note(), s.decidedBy(),
                    s.decision() == null || s.decision().value() == null || !Double.isFinite(s.decision().value()) ? null : s.decision().value(),
                    m == null || m.fidelity() == null || !Double.isFinite(m.fidelity().relL2()) ? null : m.fidelity().relL2(),
                    m == null || m.fidelity() == null ? List.of() : m.fidelity().outputs(), s.parent() < 0 ? null : s.parent()));
        }
        List<Map<String, Object>> arts = new ArrayList<>();
        if (export != null) {
            for (Artifact a : export.artifacts()) {
                arts.add(a.describe(export.dir()));
            }
        }
        List<String> notes = List.of(
                "Sizes are bytes of the files written. Accuracy and fidelity come from running each file in ONNX Runtime on the data named.",
                "A step is kept when it meets the acceptance rule " + ex.acceptance().text() + ": the first figure measured decides (accuracy "
                        + "retention with labelled data, else the SQNR of the worst output; every output is compared with the original's, "
                        + "near-zero outputs against a noise floor of 1e-3 of max(peak, 1)). Cosine and top-1 are shown only where they mean something.",
                "Latency and peak memory in the steps are measured on this machine (the host above), not on the target device.",
                "The constraints are judged on the target device's figures: for a device other than this machine, latency and peak RAM"
                        + " are its estimates (est., with the band; a TFLite Micro export's tensor arena where there is one), with this machine's"
                        + " measured figures beside them; a latency band wider than the estimate itself is unknown, never a pass.",
                "Peak memory is the growth of the peak resident memory of a process of its own while ONNX Runtime loads the model and runs one inference.",
                "On the target device, latency, peak RAM and energy are estimates (est.) with the calibration's error band; see docs/estimator.md.");
        return new DeploymentReport(Instant.now().toString(), ExportService.version(), model, hostMap, dev, rows, steps, arts, notes,
                ex.acceptance().text(), current == null ? null : ex.recipe(current.index()).toMap());
    }

    /** The recommended tensor arena of a TFLite Micro artifact in the export (what the firmware reserves), or null. */
    static Long arenaBytes(ExportResult export) {
        if (export == null) {
            return null;
        }
        for (Artifact a : export.artifacts()) {
            if (ExportFormat.TFLITE_MICRO.id().equals(a.format()) && a.details() != null
                    && a.details().get("arenaRecommendedBytes") instanceof Number n) {
                return n.longValue();
            }
        }
        return null;
    }

    /** The current step on the target device, estimated (or, for this machine, measured); null if it cannot be. */
    static Estimate estimate(DeviceProfile device, Step current, Constraints constraints, dev.edgefit.data.InputOverrides inputs) {
        try {
            Workload w = Workload.of(current.snapshot(), inputs, null);
            Metrics m = current.metrics();
            FitCheck.Measured here = new FitCheck.Measured(m.fileBytes(), m.peakMemoryBytes(), m.latencyMs() == null ? null : m.latencyMs().p50());
            List<DeviceProfile> all = new ArrayList<>(DeviceCatalog.withUserProfiles().profiles());
            all.removeIf(p -> p.id().equals(device.id()));
            all.add(device);
            return DeviceEstimates.estimateMeasured(w, null, current.metrics().fileBytes(), List.of(device), null, null, constraints,
                    Calibration.of(all), () -> here, ExportFormat.writtenFor(current.snapshot())).get(0);
        } catch (RuntimeException e) {
            return null;
        }
    }
}
