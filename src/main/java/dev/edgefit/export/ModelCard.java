package dev.edgefit.export;

import dev.edgefit.model.TensorSpec;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** README.md of an export folder: what each file is, how it was verified, and what the device team must know. */
final class ModelCard {
    private ModelCard() {
    }

    static String write(ExportService.Request req, Path src, Path dir, List<Artifact> artifacts) {
        StringBuilder s = new StringBuilder();
        s.append("# ").append(src.getFileName()).append(" for the device\n\n");
        s.append("Exported by EdgeFit ").append(ExportService.version()).append(" from `").append(src.getFileName()).append("` (SHA-256 `")
                .append(ExportService.sha256(src)).append("`)");
        if (req.device() != null) {
            s.append(" for ").append(req.device().name());
        }
        s.append(". `manifest.json` holds every figure below, the SHA-256 of every file and the recipe.\n\n");
        s.append("Source inputs: ").append(String.join(", ", req.snapshot().inputs().stream().map(TensorSpec::toString).toList()))
                .append("; outputs: ").append(String.join(", ", req.snapshot().outputs().stream().map(TensorSpec::toString).toList())).append(".\n\n");
        s.append("## Files and verification\n\n");
        Verification first = artifacts.stream().map(Artifact::verification).filter(java.util.Objects::nonNull).findFirst().orElse(null);
        s.append("Each file was reloaded from disk, run, and compared with the source model (ONNX Runtime) on the same ")
                .append(first == null ? "inputs" : String.format(Locale.ROOT, "%,d inputs", first.samples()))
                .append(first == null || first.accuracySamples() == null ? "" : String.format(Locale.ROOT, "; accuracy is over %,d labelled items", first.accuracySamples()))
                .append(".\n\n");
        s.append("| file | format | precision | bytes | runtime | max abs diff | SQNR (worst output) | mean cosine | top-1 agreement | accuracy |\n");
        s.append("|---|---|---|---|---|---|---|---|---|---|\n");
        Double sourceAcc = null;
        for (Artifact a : artifacts) {
            Verification v = a.verification();
            sourceAcc = v.sourceAccuracy() != null ? v.sourceAccuracy() : sourceAcc;
            s.append(String.format(Locale.ROOT, "| `%s` | %s | %s | %,d | %s | %.3g | %s | %s | %s%s | %s |%n", dir.relativize(a.path()), a.format(), a.precision(),
                    a.bytes(), v.runtime(), v.maxAbsDiff(), v.sqnrText(), Verification.text(v.meanCosine(), "%.5f"),
                    Verification.text(v.top1Agreement(), "%.4f"), v.passed() ? "" : " (FLAGGED: " + v.note() + ")",
                    v.accuracy() == null ? "no labels" : String.format(Locale.ROOT, "%.2f%%", v.accuracy() * 100)));
        }
        if (sourceAcc != null) {
            s.append(String.format(Locale.ROOT, "%nThe source model's accuracy on the same data: %.2f%%.%n", sourceAcc * 100));
        }
        if (first != null) {
            s.append(String.format(Locale.ROOT, "%nEvery output is compared; the worst one decides. Acceptance rule: `%s` (the first figure measured "
                    + "decides: accuracy retention with labelled data, else the worst output's SQNR); n/a: not meaningful for these outputs.%n",
                    first.acceptance()));
        }
        for (Artifact a : artifacts) {
            Map<String, Object> d = a.details();
            if (d == null || !a.format().startsWith("tflite")) {
                continue;
            }
            s.append("\n## `").append(dir.relativize(a.path())).append("`\n\n");
            s.append("- ").append(d.get("precision")).append("; ").append(d.get("io")).append(".\n");
            for (String k : List.of("inputs", "outputs")) {
                Object list = d.get(k);
                if (list instanceof List<?> l) {
                    for (Object o : l) {
                        if (o instanceof Map<?, ?> io) {
                            s.append("- ").append(k.substring(0, k.length() - 1)).append(" `").append(io.get("name")).append("`: ").append(io.get("dtype")).append(' ')
                                    .append(java.util.Arrays.toString((int[]) io.get("shape")));
                            if (io.get("layout") != null) {
                                s.append(", ").append(io.get("layout")).append(io.get("sourceLayout") != null
                                        ? " (the ONNX model takes " + io.get("sourceLayout") + " " + java.util.Arrays.toString((long[]) io.get("sourceShape")) + ")" : "");
                            }
                            if (io.get("scale") != null) {
                                s.append(String.format(Locale.ROOT, ", real = %.9g x (q - %d)", (Float) io.get("scale"), (Long) io.get("zeroPoint")));
                            }
                            s.append('\n');
                        }
                    }
                }
            }
            s.append("- TFLite operators: ").append(d.get("operators")).append(".\n");
            if (d.get("arenaEstimateBytes") != null) {
                s.append("- TFLite Micro: `micro/model_data.cc` holds the model as `g_model_data` (").append(d.get("modelBytes"))
                        .append(" bytes, 16-byte aligned, const: it stays in flash); `micro/model_data.h` declares it and `edgefit_register_ops()`.\n");
                s.append("- Register with `").append(d.get("opResolver")).append("`: ").append(String.join(", ", castList(d.get("resolvers")))).append(".\n");
                s.append("- Tensor arena: `EDGEFIT_TENSOR_ARENA_SIZE` is ").append(bytes(d.get("arenaRecommendedBytes")))
                        .append(", the estimate of ").append(bytes(d.get("arenaEstimateBytes")))
                        .append(" + 25%. Measure with `MicroInterpreter::arena_used_bytes()`.\n");
                s.append("- Fit: ").append(d.get("fit")).append('\n');
            }
        }
        s.append("\n## Not produced\n\n").append(ExportFormat.COREML_NOTE).append('\n');
        return s.toString();
    }

    /** "12.5 KiB (12,800 bytes)" for a byte count. */
    private static String bytes(Object n) {
        long b = ((Number) n).longValue();
        return String.format(Locale.ROOT, "%s (%,d bytes)", dev.edgefit.device.Constraints.formatBytes(b), b);
    }

    private static List<String> castList(Object o) {
        return o instanceof List<?> l ? l.stream().map(String::valueOf).toList() : List.of();
    }
}
