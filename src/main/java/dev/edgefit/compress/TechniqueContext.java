package dev.edgefit.compress;

import dev.edgefit.common.Progress;
import dev.edgefit.data.Dataset;
import dev.edgefit.data.InputOverrides;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What a technique may use besides the model: progress/cancel, the user's dataset if any (else what the user fixed
 * about generated inputs), and a place for
 * structured results worth showing beside the step (e.g. mixed precision's sensitivity table), kept with the step.
 */
public record TechniqueContext(Progress progress, Dataset data, Map<String, Object> details, InputOverrides inputs) {
    public TechniqueContext(Progress progress, Dataset data) {
        this(progress, data, new ConcurrentHashMap<>());
    }

    public TechniqueContext(Progress progress, Dataset data, Map<String, Object> details) {
        this(progress, data, details, InputOverrides.NONE);
    }

    /** What the user fixed about generated inputs, for calibration without data. */
    public TechniqueContext withInputs(InputOverrides i) {
        return new TechniqueContext(progress, data, details, i);
    }

    public static TechniqueContext of(Progress p) {
        return new TechniqueContext(p, null);
    }

    public TechniqueContext withProgress(Progress p) {
        return new TechniqueContext(p, data, details, inputs);
    }
}
