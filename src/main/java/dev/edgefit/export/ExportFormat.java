package dev.edgefit.export;

import dev.edgefit.common.EdgeFitException;
import dev.edgefit.export.tflite.TflitePrecision;

import java.util.Arrays;
import java.util.Locale;

/**
 * Formats EdgeFit writes. Each is executed by a runtime on this machine and verified before it counts: ONNX and ORT
 * in ONNX Runtime, TFLite files (and the bytes inside the TFLite Micro C source) in TensorFlow Lite, the TensorRT
 * bundle's ONNX models in ONNX Runtime (its engines are built on the device).
 */
public enum ExportFormat {
    ONNX("onnx", "model.onnx", "ONNX (any ONNX runtime)"),
    ORT("ort", "model.ort", "ORT format for ONNX Runtime Mobile (Android, iOS, embedded Linux)"),
    TFLITE("tflite", "model.tflite", "TensorFlow Lite, float32"),
    TFLITE_FP16("tflite-fp16", "model_fp16.tflite", "TensorFlow Lite, float16 weights"),
    TFLITE_INT8_WEIGHTS("tflite-int8-weights", "model_int8_weights.tflite", "TensorFlow Lite, int8 weights (weight-only)"),
    TFLITE_INT8("tflite-int8", "model_int8.tflite", "TensorFlow Lite, full integer int8 with float input and output"),
    TFLITE_MICRO("tflite-micro", "micro", "TensorFlow Lite Micro: the full-integer model as C source (int8 input and output)"),
    TENSORRT_BUNDLE("tensorrt-bundle", "tensorrt", "TensorRT build bundle for Jetson: ONNX models, INT8 calibration cache, trtexec script");

    /** What iOS gets instead of Core ML, said wherever a user asks for Core ML. */
    public static final String COREML_NOTE = "Core ML models are not produced: nothing on this machine can run one to verify it. "
            + "For iOS ship model.ort (ONNX Runtime Mobile, whose Core ML execution provider uses the Neural Engine) or a TFLite file "
            + "(TensorFlow Lite with its Core ML or Metal delegate).";

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

    /** The file, or for tflite-micro and tensorrt-bundle the folder, this format writes in the export folder. */
    public String fileName() {
        return fileName;
    }

    public String description() {
        return description;
    }

    /** The artifact format a device runtime reads this as (a runtime's {@code formats} in the device profiles). */
    public String family() {
        return switch (this) {
            case ONNX -> "onnx";
            case ORT -> "ort";
            case TFLITE, TFLITE_FP16, TFLITE_INT8_WEIGHTS, TFLITE_INT8 -> "tflite";
            case TFLITE_MICRO -> "tflite-micro";
            case TENSORRT_BUNDLE -> "tensorrt";
        };
    }

    /**
     * The formats (as {@link #family()}) EdgeFit can write for this model: ONNX, ORT and the TensorRT bundle always,
     * TFLite and TFLite Micro when the converter takes the model (every operator, float inputs). What the device estimates prefer.
     */
    public static java.util.Set<String> writtenFor(dev.edgefit.model.ModelSnapshot m) {
        boolean tflite = true;
        try {
            dev.edgefit.export.tflite.TfliteConverter.check(m);   // every operator, and float inputs
        } catch (EdgeFitException e) {
            tflite = false;
        }
        java.util.Set<String> out = new java.util.LinkedHashSet<>();
        for (ExportFormat f : values()) {
            if (tflite || !(f.isTflite() || f == TFLITE_MICRO)) {
                out.add(f.family());
            }
        }
        return out;
    }

    public boolean isTflite() {
        return this == TFLITE || this == TFLITE_FP16 || this == TFLITE_INT8_WEIGHTS || this == TFLITE_INT8;
    }

    /** For the TFLite formats (and TFLite Micro, which is full integer), the precision they store. */
    public TflitePrecision tflitePrecision() {
        return switch (this) {
            case TFLITE -> TflitePrecision.FP32;
            case TFLITE_FP16 -> TflitePrecision.FP16;
            case TFLITE_INT8_WEIGHTS -> TflitePrecision.INT8_WEIGHTS;
            case TFLITE_INT8, TFLITE_MICRO -> TflitePrecision.INT8;
            default -> null;
        };
    }

    /** The TFLite format of a precision: tflite with fp16 is tflite-fp16, and so on. */
    public static ExportFormat tflite(TflitePrecision p) {
        return switch (p) {
            case FP32 -> TFLITE;
            case FP16 -> TFLITE_FP16;
            case INT8_WEIGHTS -> TFLITE_INT8_WEIGHTS;
            case INT8 -> TFLITE_INT8;
        };
    }

    public static ExportFormat parse(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        if (t.equals("coreml") || t.equals("core-ml") || t.equals("mlmodel") || t.equals("mlpackage")) {
            throw EdgeFitException.badParameter(COREML_NOTE);
        }
        if (t.equals("tensorrt")) {
            t = "tensorrt-bundle";
        }
        String id = t;
        return Arrays.stream(values()).filter(f -> f.id.equals(id)).findFirst().orElseThrow(() -> EdgeFitException.badParameter(
                "Unknown export format '" + s + "'; EdgeFit writes " + String.join(", ", Arrays.stream(values()).map(ExportFormat::id).toList()) + "."));
    }
}
