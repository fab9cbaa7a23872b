package dev.edgefit.common;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Every write EdgeFit makes goes through here: a temp file in the target folder, then an atomic move. */
public final class AtomicFiles {
    private AtomicFiles() {
    }

    /** Writes the content produced by {@code writer} to {@code target} atomically. */
    public static void write(Path target, IOConsumer<OutputStream> writer) {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        Path tmp = null;
        requireWritableTarget(abs);
        try {
            Files.createDirectories(dir);
            tmp = createSibling(dir, abs.getFileName().toString());
            try (OutputStream out = Files.newOutputStream(tmp)) {
                writer.accept(out);
            }
            moveIntoPlace(tmp, abs);
            tmp = null;
        } catch (IOException e) {
            throw EdgeFitException.io(target, "could not be written (" + e.getMessage() + ")", e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort: the temp file is hidden and named after the target
                }
            }
        }
    }

    /**
     * Refuses a target that exists and is not a regular file (a device such as /dev/null, a named pipe, a folder):
     * moving a temp file over it would replace the device or pipe with a regular file (as root, even /dev/null).
     */
    public static void requireWritableTarget(Path target) {
        if (Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(target)) {
            throw new EdgeFitException(EdgeFitException.Kind.IO, target + " exists and is not a regular file ("
                    + (Files.isDirectory(target) ? "a folder" : "a device, pipe or socket") + "); EdgeFit writes only regular files, choose another path.");
        }
    }

    public static void write(Path target, byte[] bytes) {
        write(target, out -> out.write(bytes));
    }

    public static void writeString(Path target, String text) {
        write(target, text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * A new hidden file beside the target, created with the process's default permissions (umask), unlike
     * Files.createTempFile, whose owner-only mode would end up on every file the user receives.
     */
    private static Path createSibling(Path dir, String name) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Path p = dir.resolve("." + name + "." + Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong()) + ".tmp");
            try {
                return Files.createFile(p);
            } catch (java.nio.file.FileAlreadyExistsException e) {
                if (attempt > 100) {
                    throw e;
                }
            }
        }
    }

    /** Moves a finished temp file over the target; atomic where the file system allows it. */
    public static void moveIntoPlace(Path tmp, Path target) throws IOException {
        requireWritableTarget(target);
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    @FunctionalInterface
    public interface IOConsumer<T> {
        void accept(T t) throws IOException;
    }
}
