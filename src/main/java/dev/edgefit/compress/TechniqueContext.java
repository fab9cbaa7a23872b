package dev.edgefit.compress;

import dev.edgefit.common.Progress;
import dev.edgefit.data.Dataset;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What a technique may use besides the model: progress/cancel, the user's dataset if any, and a place for
 * structured results worth showing beside the step (e.g. mixed precision's sensitivity table), kept with the step.
 */
public record TechniqueContext(Progress progress, Dataset data, Map<String, Object> details) {
    public TechniqueContext(Progress progress, Dataset data) {
        this(progress, data, new ConcurrentHashMap<>());
    }

    public static TechniqueContext of(Progress p) {
        return new TechniqueContext(p, null);
    }

    public TechniqueContext withProgress(Progress p) {
        return new TechniqueContext(p, data, details);
    }
}
