package dev.edgefit.export;

import dev.edgefit.common.EdgeFitException;

import java.util.Arrays;
import java.util.Locale;

/** Formats EdgeFit writes today. Each is executed by a runtime on this machine and verified before it counts. */
public enum ExportFormat {
    ONNX("onnx", "model.onnx", "ONNX (any ONNX runtime)"),
    ORT("ort", "model.ort", "ORT format for ONNX Runtime Mobile (Android, iOS, embedded Linux)");

    private final String id;
    private final String fileName;
    private final String description;

    ExportFormat(String id, String fileName, String description) {
        this.id = id;
        this.fileName = fileName;
        this.description = description;
    }

    public String id() {
        return id;
    }

    public String fileName() {
        return fileName;
    }

    public String description() {
        return description;
    }

    public static ExportFormat parse(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(f -> f.id.equals(t)).findFirst().orElseThrow(() -> EdgeFitException.badParameter(
                "Unknown export format '" + s + "'; EdgeFit writes " + String.join(", ", Arrays.stream(values()).map(ExportFormat::id).toList())
                        + " (TFLite, TFLite Micro, TensorRT bundles and Core ML are not produced yet)."));
    }
}
