package dev.edgefit.report;

import dev.edgefit.eval.OutputFidelity;

import java.util.List;
import java.util.Map;

/**
 * Everything a reviewer needs to sign off a deployment, as plain values: what model, which device and constraints,
 * what each step did to size, accuracy and latency (all measured), and which files were shipped with their hashes; {@code recipe}
 * is what made the reported step ({@code dev.edgefit.pipeline.Recipe#toMap}), which {@code edgefit compress --recipe} replays.
 */
public record DeploymentReport(String generated, String edgefitVersion, ModelInfo model, Map<String, Object> host,
                               Map<String, Object> device, List<ConstraintRow> constraints, List<StepRow> steps,
                               List<Map<String, Object>> artifacts, List<String> notes, String acceptance, Map<String, Object> recipe) {

    public record ModelInfo(String file, long bytes, String sha256, long opset, long parameters, Long macs, Map<String, Integer> opHistogram) {
    }

    /**
     * One limit judged ({@link dev.edgefit.device.FitCheck}): actual is the figure that decides (the device's: "est." for an
     * estimate), thisMachine the figure measured here when the device's estimate decides, else null.
     */
    public record ConstraintRow(String name, String limit, String actual, String status, Double marginPct, String note, String thisMachine) {
    }

    /**
     * One step; null means "not measured" (or, for meanCosine and top1Agreement, not meaningful for these outputs; sqnrDb
     * is null when the outputs are identical). Latency is measured on this machine. decidedBy is the acceptance metric that
     * decided whether the step was kept ("accuracy", "sqnrDb", ...), decisionValue its figure; outputs compares every
     * output with the original's. parent is the step it was applied to (null for step 0).
     */
    public record StepRow(int index, String technique, Map<String, Object> params, String status, long fileBytes, Double accuracy,
                          Double retention, Double meanCosine, Double top1Agreement, Double sqnrDb, Double latencyP50Ms,
                          Double latencyP90Ms, Double latencyP99Ms, Long peakMemoryBytes, String note, String decidedBy,
                          Double decisionValue, Double relL2, List<OutputFidelity> outputs, Integer parent) {
    }
}
