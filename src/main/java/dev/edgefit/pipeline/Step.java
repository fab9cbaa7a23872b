package dev.edgefit.pipeline;

import dev.edgefit.eval.Metrics;
import dev.edgefit.model.ModelSnapshot;

import java.nio.file.Path;
import java.util.Map;

/**
 * One step of an experiment: the technique applied (or "original" for step 0), its parameters, the snapshot
 * it produced, the artifact written for it and the metrics measured on that artifact.
 */
public record Step(int index, String techniqueId, String displayName, Map<String, Object> params, Status status,
                   ModelSnapshot snapshot, Path artifact, Metrics metrics, String error, long applyMillis) {

    public enum Status { RUNNING, DONE, FAILED, CANCELLED, REVERTED }

    public static final String ORIGINAL = "original";

    public Step withStatus(Status s) {
        return new Step(index, techniqueId, displayName, params, s, snapshot, artifact, metrics, error, applyMillis);
    }

    public boolean isActive() {
        return status == Status.DONE;
    }
}
