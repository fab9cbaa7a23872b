package dev.edgefit.common;

import dev.edgefit.TestModels;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class AtomicFilesTest {

    @Test
    void writesReplaceWholeFilesAndLeaveNoTempBehind() throws IOException {
        Path dir = TestModels.tempDir("atomic");
        Path f = dir.resolve("out.txt");
        AtomicFiles.writeString(f, "first");
        AtomicFiles.writeString(f, "second");
        assertEquals("second", Files.readString(f));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temp file left");
        }
        // a failing writer leaves the old content and no temp file
        assertThrows(RuntimeException.class, () -> AtomicFiles.write(f, out -> {
            out.write("partial".getBytes());
            throw new IOException("disk full");
        }));
        assertEquals("second", Files.readString(f));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count());
        }
    }

    @Test
    void filesGetTheUsualPermissionsNotOwnerOnly() throws IOException {
        Path f = TestModels.tempDir("perm").resolve("shared.txt");
        AtomicFiles.writeString(f, "x");
        Set<PosixFilePermission> p = Files.getPosixFilePermissions(f);
        Path plain = Files.createFile(f.resolveSibling("plain.txt"));
        assertEquals(Files.getPosixFilePermissions(plain), p, "same mode as any file this process creates");
    }

    @Test
    void devicesPipesAndFoldersAreNeverReplaced() throws Exception {
        Path dir = TestModels.tempDir("atomic-special");
        Path pipe = dir.resolve("pipe");
        assertEquals(0, new ProcessBuilder("mkfifo", pipe.toString()).start().waitFor());
        EdgeFitException e = assertThrows(EdgeFitException.class, () -> AtomicFiles.writeString(pipe, "x"));
        assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
        assertFalse(Files.isRegularFile(pipe), "still a pipe");
        Path folder = Files.createDirectory(dir.resolve("folder"));
        assertThrows(EdgeFitException.class, () -> AtomicFiles.writeString(folder, "x"));
        assertTrue(Files.isDirectory(folder));
        // /dev/null is checked, never written: a write as root used to replace the device with a regular file
        assertThrows(EdgeFitException.class, () -> AtomicFiles.requireWritableTarget(Path.of("/dev/null")));
        Path tmp = Files.writeString(dir.resolve("t"), "x");
        assertThrows(EdgeFitException.class, () -> AtomicFiles.moveIntoPlace(tmp, pipe));
        try (var files = Files.list(dir)) {
            assertEquals(3, files.count(), "no temp file left");
        }
    }
}
