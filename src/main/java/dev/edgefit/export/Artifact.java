package dev.edgefit.export;

import java.nio.file.Path;

/** One exported file: its format, precision, size on disk, SHA-256 and verification. */
public record Artifact(Path path, String format, String precision, long bytes, String sha256, Verification verification) {
}
