package dev.edgefit.eval;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Peak resident memory of this process, from Linux's /proc/self/status (VmHWM), with the high-water mark
 * reset through /proc/self/clear_refs before a measurement. Process-wide: it includes the JVM's own
 * allocations during the measured work. Elsewhere it reports nothing rather than a guess.
 */
public final class PeakMemory {
    private static final Path STATUS = Path.of("/proc/self/status");
    private static final Path CLEAR = Path.of("/proc/self/clear_refs");

    private PeakMemory() {
    }

    public static boolean supported() {
        return Files.isReadable(STATUS) && Files.isWritable(CLEAR);
    }

    /** Current resident set size in bytes, or -1. */
    public static long rss() {
        return field("VmRSS:");
    }

    /** Resets the high-water mark to the current RSS; returns false if the kernel refuses. */
    public static boolean reset() {
        try {
            Files.writeString(CLEAR, "5");
            return true;
        } catch (IOException | SecurityException e) {
            return false;
        }
    }

    /** Peak RSS since the last reset, in bytes, or -1. */
    public static long peak() {
        return field("VmHWM:");
    }

    private static long field(String name) {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith(name)) {
                    String[] parts = line.substring(name.length()).trim().split("\\s+");
                    return Long.parseLong(parts[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
