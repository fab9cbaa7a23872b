package dev.edgefit.runtime;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * ONNX Runtime's Java loader extracts its native libraries into a new {@code onnxruntime-java*} folder in
 * java.io.tmpdir each time a JVM starts it, and asks the JVM to delete the folder on exit; the JVM deletes the folder
 * before the files in it, so every process left an empty folder behind. Once the libraries are loaded, the files are
 * not needed any more (Linux and macOS keep a loaded library alive after it is unlinked): this removes the folder
 * right away, and on exit whatever could not be removed then (Windows keeps loaded libraries locked).
 */
final class OrtNativeFolder {
    private OrtNativeFolder() {
    }

    static void removeExtracted() {
        Path dir = folder();
        if (dir == null) {
            return;
        }
        if (!delete(dir)) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(dir), "edgefit-ort-cleanup"));
        }
    }

    /** The folder the loader made, read from its private field; null where the loader differs (nothing is removed). */
    private static Path folder() {
        try {
            Class<?> c = Class.forName("ai.onnxruntime.OnnxRuntime");
            Field f = c.getDeclaredField("tempDirectory");
            f.setAccessible(true);
            Object v = f.get(null);
            if (v instanceof Path p && p.getFileName() != null && p.getFileName().toString().startsWith("onnxruntime-java")) {
                return p;
            }
        } catch (ReflectiveOperationException | RuntimeException ignored) {
            // another version of the loader: leave its folder alone
        }
        return null;
    }

    private static boolean delete(Path dir) {
        if (!Files.exists(dir)) {
            return true;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            List<Path> all = s.sorted(Comparator.comparingInt(Path::getNameCount).reversed()).toList();
            for (Path p : all) {
                Files.deleteIfExists(p);
            }
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
