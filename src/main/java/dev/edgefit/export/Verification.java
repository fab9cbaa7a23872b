package dev.edgefit.export;

import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import dev.edgefit.eval.FiniteOrNull;
import dev.edgefit.eval.OutputFidelity;

import java.util.List;

/**
 * The artifact, reloaded from disk and run, compared with the source model on the same inputs over {@code samples}
 * inputs, every output by name ({@code outputs}), the worst output deciding the summary: maxAbsDiff, sqnrDb (null when
 * identical), relL2, meanCosine and top1Agreement (null where no output has a cosine or a class axis that means
 * something). accuracy is the artifact's own top-1 accuracy on labelled data (null without labels) over
 * {@code accuracySamples} items, sourceAccuracy the source model's on the same items. passed is what the acceptance rule
 * ({@code acceptance}, default {@code accuracy>=0.98,sqnrDb>=10}) said, {@code decidedBy} the metric that decided; a
 * failed artifact is flagged, not hidden.
 */
public record Verification(String runtime, double maxAbsDiff, Double meanCosine, Double top1Agreement, Double accuracy,
                           int samples, boolean passed, String note, Double sourceAccuracy, Integer accuracySamples,
                           @JsonSerialize(using = FiniteOrNull.class) double sqnrDb, @JsonSerialize(using = FiniteOrNull.class) double relL2,
                           String decidedBy, String acceptance, List<OutputFidelity> outputs) {

    /** The same verification, run in {@code newRuntime} (a description of how the artifact was run). */
    public Verification withRuntime(String newRuntime) {
        return new Verification(newRuntime, maxAbsDiff, meanCosine, top1Agreement, accuracy, samples, passed, note, sourceAccuracy,
                accuracySamples, sqnrDb, relL2, decidedBy, acceptance, outputs);
    }

    /** A nullable figure for text: "n/a" when null (not meaningful for these outputs). */
    public static String text(Double v, String format) {
        return v == null ? "n/a" : String.format(java.util.Locale.ROOT, format, v);
    }

    /** The worst output's SQNR for text: "71.2 dB", or "identical". */
    public String sqnrText() {
        return Double.isInfinite(sqnrDb) && sqnrDb > 0 ? "identical" : String.format(java.util.Locale.ROOT, "%.1f dB", sqnrDb);
    }
}
