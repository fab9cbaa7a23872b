package dev.edgefit.export;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One exported file: its format, precision, size on disk, SHA-256 and verification; details holds what the format
 * adds (a TFLite file's inputs, outputs and quantization, a TFLite Micro arena estimate), or is null.
 */
public record Artifact(Path path, String format, String precision, long bytes, String sha256, Verification verification,
                       Map<String, Object> details) {

    public Artifact(Path path, String format, String precision, long bytes, String sha256, Verification verification) {
        this(path, format, precision, bytes, sha256, verification, null);
    }

    /** The artifact as manifests, reports and the CLI print it; the path relative to {@code base} (or as is if null). */
    public Map<String, Object> describe(Path base) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("path", base == null ? path.toString() : base.relativize(path).toString());
        e.put("format", format);
        e.put("precision", precision);
        e.put("bytes", bytes);
        e.put("sha256", sha256);
        e.put("verification", verification);
        if (details != null) {
            e.put("details", details);
        }
        return e;
    }

    /** One line: "model_int8.tflite: 93,968 bytes, SQNR …, top-1 agreement 0.9975, cosine 0.999862, accuracy 89.50% (source 89.65%)". */
    public String summary() {
        String head = String.format(java.util.Locale.ROOT, "%s: %,d bytes", path.getFileName(), bytes);
        if (verification == null) {
            return head + ", not verified";
        }
        Verification v = verification;
        return head + String.format(java.util.Locale.ROOT, ", SQNR %s, top-1 agreement %s, cosine %s, max diff %.3g (%d inputs)%s in %s%s", v.sqnrText(),
                Verification.text(v.top1Agreement(), "%.4f"), Verification.text(v.meanCosine(), "%.6f"), v.maxAbsDiff(), v.samples(), accuracyText(v),
                v.runtime(), v.passed() ? "" : " (FLAGGED: " + v.note() + ")");
    }

    /** ", accuracy 89.80% on 2,000 labelled items (source model 89.65%)", or "" without labels. */
    static String accuracyText(Verification v) {
        if (v.accuracy() == null) {
            return "";
        }
        return String.format(java.util.Locale.ROOT, ", accuracy %.2f%%%s%s", v.accuracy() * 100,
                v.accuracySamples() == null ? "" : String.format(java.util.Locale.ROOT, " on %,d labelled items", v.accuracySamples()),
                v.sourceAccuracy() == null ? "" : String.format(java.util.Locale.ROOT, " (source model %.2f%%)", v.sourceAccuracy() * 100));
    }
}
