package dev.edgefit.export;

/**
 * The artifact, reloaded from disk and run, compared with the source model on the same inputs: maxAbsDiff, meanCosine
 * and top1Agreement over {@code samples} inputs. accuracy is the artifact's own top-1 accuracy on labelled data (null
 * without labels) over {@code accuracySamples} items, sourceAccuracy the source model's on the same items. passed is
 * false when top-1 agreement is below the threshold; the artifact is then flagged, not hidden.
 */
public record Verification(String runtime, double maxAbsDiff, double meanCosine, double top1Agreement, Double accuracy,
                           int samples, boolean passed, String note, Double sourceAccuracy, Integer accuracySamples) {
}
