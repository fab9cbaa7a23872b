package dev.edgefit.compress;

import dev.edgefit.model.ModelSnapshot;

import java.util.List;

/**
 * One compression technique. It declares its parameters once and turns a snapshot into a new one that a
 * real runtime runs; it never measures itself (the pipeline measures the written artifact).
 */
public interface Technique {
    /** Stable id used by the CLI, recipes and reports, e.g. "int8-dynamic". */
    String id();

    String displayName();

    /** One or two sentences for the GUI and docs: what it stores and what the runtime does with it. */
    String description();

    List<ParamSpec> params();

    /**
     * Applies the technique. Must report progress, honour cancellation, leave {@code input} untouched and
     * throw {@link dev.edgefit.common.EdgeFitException} with a clear sentence when it cannot apply
     * (for example, no layer it can change).
     */
    ModelSnapshot apply(ModelSnapshot input, Params params, TechniqueContext context);

    /**
     * A cheap look before running: why this technique cannot apply to {@code input} (for example, nothing left in float
     * after an earlier quantization), as a clause without the model's name, or null when it may. {@link #apply} still
     * refuses what this does not catch.
     */
    default String notApplicable(ModelSnapshot input) {
        return null;
    }
}
