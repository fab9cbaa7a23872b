package dev.edgefit.compress;

import dev.edgefit.common.Progress;
import dev.edgefit.data.Dataset;

/** What a technique may use besides the model: progress/cancel and, if the user gave one, a dataset. */
public record TechniqueContext(Progress progress, Dataset data) {
    public static TechniqueContext of(Progress p) {
        return new TechniqueContext(p, null);
    }

    public TechniqueContext withProgress(Progress p) {
        return new TechniqueContext(p, data);
    }
}
