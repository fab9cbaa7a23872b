package dev.edgefit.pipeline;

import dev.edgefit.eval.Acceptance;
import dev.edgefit.eval.Metrics;
import dev.edgefit.model.ModelSnapshot;

import java.nio.file.Path;
import java.util.Map;

/**
 * One step of an experiment: the technique applied (or "original" for step 0), its parameters, the snapshot
 * it produced, the artifact written for it and the metrics measured on that artifact. {@code retention} is the
 * step's accuracy over the original's on labelled data, null without labels; {@code decision} is what the
 * experiment's acceptance rule said (which metric decided, its figure and bar; null for step 0); {@code note} says
 * which metric decided and why a step was rejected or kept against the rule; {@code details} holds what the technique
 * reported beside its snapshot (for example a sensitivity table). {@code parent} is the index of the step it was applied to
 * (-1 for step 0): steps form a tree, and the recipe of a step is its chain of ancestors.
 */
public record Step(int index, int parent, String techniqueId, String displayName, Map<String, Object> params, Status status,
                   ModelSnapshot snapshot, Path artifact, Metrics metrics, String error, long applyMillis,
                   Double retention, String note, Map<String, Object> details, Acceptance.Decision decision) {

    /**
     * DONE: kept, the next step builds on it. REJECTED: measured, but it failed the acceptance rule, so the
     * next step builds on the one before (the user may keep it anyway). REVERTED: undone by the user.
     */
    public enum Status { RUNNING, DONE, REJECTED, FAILED, CANCELLED, REVERTED }

    public static final String ORIGINAL = "original";

    public Step withStatus(Status s, String newNote) {
        return new Step(index, parent, techniqueId, displayName, params, s, snapshot, artifact, metrics, error, applyMillis, retention, newNote, details, decision);
    }

    /** The id of the metric that decided whether the step was kept ("accuracy", "sqnrDb", ...), or null. */
    public String decidedBy() {
        return decision == null ? null : decision.decidedBy();
    }

    /** Whether the step was measured (kept, rejected or reverted): a step that can be built on and exported. */
    public boolean isMeasured() {
        return metrics != null && (status == Status.DONE || status == Status.REJECTED || status == Status.REVERTED);
    }

    public boolean isActive() {
        return status == Status.DONE;
    }
}
