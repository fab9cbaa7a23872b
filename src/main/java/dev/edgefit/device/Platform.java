package dev.edgefit.device;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/** The eight edge platform families EdgeFit knows. In YAML and JSON they are written in lower case. */
public enum Platform {
    ANDROID("Android"),
    IOS("iOS"),
    RASPBERRY_PI("Raspberry Pi"),
    NVIDIA_JETSON("NVIDIA Jetson"),
    INTEL_NUC("Intel NUC"),
    ARM_CORTEX("Arm Cortex"),
    ESP32("ESP32"),
    ARDUINO("Arduino");

    private final String displayName;

    Platform(String displayName) {
        this.displayName = displayName;
    }

    /** The file name: {@code android}, {@code raspberry_pi}, ... */
    @JsonValue
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public String displayName() {
        return displayName;
    }

    /** The platform whose {@link #id()} is {@code text} (case and surrounding blanks ignored). */
    public static Optional<Platform> parse(String text) {
        if (text == null) {
            return Optional.empty();
        }
        String t = text.trim().toLowerCase(Locale.ROOT);
        for (Platform p : values()) {
            if (p.id().equals(t)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** For Jackson: unknown names fail with the list of known ones. */
    @JsonCreator
    public static Platform fromId(String text) {
        return parse(text).orElseThrow(() -> new IllegalArgumentException(
                "unknown platform '" + text + "' (known: " + ids() + ")"));
    }

    /** The known ids, comma separated, for messages. */
    public static String ids() {
        return Arrays.stream(values()).map(Platform::id).collect(Collectors.joining(", "));
    }
}
