package dev.edgefit.data;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.edgefit.common.EdgeFitException;
import dev.edgefit.common.Json;

import java.util.Arrays;

/**
 * How raw 8-bit pixels become model input: x = (pixel * scale - mean[c]) / std[c], laid out NCHW or NHWC.
 * A model made by EdgeFit keeps its preprocessing as JSON in the ONNX metadata key {@value #METADATA_KEY}.
 */
public record Preprocessing(double scale, float[] mean, float[] std, Layout layout) {
    public static final String METADATA_KEY = "edgefit.preprocessing";
    public static final Preprocessing DEFAULT = new Preprocessing(1 / 255.0, new float[] {0f}, new float[] {1f}, Layout.NCHW);

    public enum Layout { NCHW, NHWC }

    @JsonCreator
    public Preprocessing(@JsonProperty("scale") double scale, @JsonProperty("mean") float[] mean,
                         @JsonProperty("std") float[] std, @JsonProperty("layout") Layout layout) {
        this.scale = scale;
        this.mean = mean == null || mean.length == 0 ? new float[] {0f} : mean.clone();
        this.std = std == null || std.length == 0 ? new float[] {1f} : std.clone();
        this.layout = layout == null ? Layout.NCHW : layout;
        for (float s : this.std) {
            if (s == 0 || !Float.isFinite(s)) {
                throw EdgeFitException.badParameter("Preprocessing std must be a finite number other than zero, not " + s + ".");
            }
        }
        for (float m : this.mean) {
            if (!Float.isFinite(m)) {
                throw EdgeFitException.badParameter("Preprocessing mean must be a finite number, not " + m + ".");
            }
        }
        if (!Double.isFinite(scale) || scale == 0) {
            throw EdgeFitException.badParameter("Preprocessing scale must be a finite number other than zero, not " + scale + ".");
        }
    }

    /** Per-channel means (a copy; one value applies to every channel). */
    @Override
    public float[] mean() {
        return mean.clone();
    }

    /** Per-channel standard deviations (a copy; one value applies to every channel). */
    @Override
    public float[] std() {
        return std.clone();
    }

    /** Converts one image of h x w x c unsigned bytes (HWC, as IDX and most image files store them). */
    public float[] apply(byte[] pixels, int offset, int h, int w, int c) {
        if (mean.length != 1 && mean.length != c || std.length != 1 && std.length != c) {
            throw EdgeFitException.badParameter("Preprocessing with " + mean.length + " mean and " + std.length
                    + " std values cannot apply to images with " + c + " channel" + (c == 1 ? "" : "s") + ".");
        }
        float[] out = new float[h * w * c];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int ch = 0; ch < c; ch++) {
                    int v = pixels[offset + (y * w + x) * c + ch] & 0xFF;
                    float m = mean[mean.length == 1 ? 0 : ch];
                    float s = std[std.length == 1 ? 0 : ch];
                    float f = (float) ((v * scale - m) / s);
                    int idx = layout == Layout.NCHW ? (ch * h + y) * w + x : (y * w + x) * c + ch;
                    out[idx] = f;
                }
            }
        }
        return out;
    }

    public String toJson() {
        return Json.write(this).replaceAll("\\s+", "");
    }

    public static Preprocessing fromJson(String json) {
        try {
            Preprocessing p = Json.mapper().readValue(json, Preprocessing.class);
            if (p == null) {
                throw new IllegalArgumentException("null is not a description");
            }
            return p;
        } catch (Exception e) {
            throw EdgeFitException.badParameter("The preprocessing description '" + json + "' is not valid JSON for EdgeFit ("
                    + e.getMessage().lines().findFirst().orElse("") + ").");
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Preprocessing p && p.scale == scale && Arrays.equals(p.mean, mean) && Arrays.equals(p.std, std) && p.layout == layout;
    }

    @Override
    public int hashCode() {
        return Double.hashCode(scale) * 31 + Arrays.hashCode(mean) * 7 + Arrays.hashCode(std) + layout.hashCode();
    }

    @Override
    public String toString() {
        return toJson();
    }
}
