package dev.edgefit.cli;

import dev.edgefit.device.Constraints;
import picocli.CommandLine.Option;

/** The limits a command checks against (a picocli mixin): each one left out falls back to the device's default. */
final class ConstraintOptions {
    @Option(names = "--max-size", paramLabel = "SIZE", description = "Model size limit, e.g. 8MB or 512KiB (default: the device's).")
    String maxSize;
    @Option(names = "--max-ram", paramLabel = "SIZE", description = "Peak RAM limit (default: the device's).")
    String maxRam;
    @Option(names = "--max-latency", paramLabel = "TIME", description = "Latency limit, e.g. 20ms (default: the device's).")
    String maxLatency;

    /** The limits given; a bad value throws its one-sentence error. */
    Constraints constraints() {
        return Constraints.parse(maxSize, maxRam, maxLatency);
    }
}
