package dev.edgefit.export.tflite;

import dev.edgefit.common.EdgeFitException;

import java.util.Arrays;
import java.util.Locale;

/** How a TFLite file stores weights and computes. */
public enum TflitePrecision {
    /** float32 weights and arithmetic. */
    FP32("fp32", "float32 weights and activations"),
    /** float16 weights, DEQUANTIZE to float32 at load time; float32 arithmetic. */
    FP16("fp16", "float16 weights (DEQUANTIZE to float32), float32 activations"),
    /** int8 per-channel weights, float activations: TFLite's hybrid kernels quantize activations on the fly. */
    INT8_WEIGHTS("int8-weights", "int8 per-channel weights (weight-only, hybrid kernels), float32 activations"),
    /** int8 activations with calibrated scale and zero point, int8 per-channel weights, int32 biases. */
    INT8("int8", "full integer: int8 activations (calibrated), int8 per-channel weights, int32 biases");

    private final String id;
    private final String description;

    TflitePrecision(String id, String description) {
        this.id = id;
        this.description = description;
    }

    public String id() {
        return id;
    }

    public String description() {
        return description;
    }

    public static TflitePrecision parse(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(p -> p.id.equals(t)).findFirst().orElseThrow(() -> EdgeFitException.badParameter(
                "Unknown TFLite precision '" + s + "'; choose one of " + String.join(", ", Arrays.stream(values()).map(TflitePrecision::id).toList()) + "."));
    }
}
