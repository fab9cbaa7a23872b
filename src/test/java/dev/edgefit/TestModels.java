package dev.edgefit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Real models and data for tests: the bundled sample and all-MiniLM-L6-v2 from its Maven artifact. */
public final class TestModels {
    private TestModels() {
    }

    public static Path root() {
        String r = System.getProperty("edgefit.root");
        return r != null ? Path.of(r) : Path.of("").toAbsolutePath();
    }

    public static Path sampleCnn() {
        return root().resolve("assets/models/fashion_cnn.onnx");
    }

    public static Path sampleData() {
        return root().resolve("assets/data/fashion-mnist-2k");
    }

    /** all-MiniLM-L6-v2, fp32 (90 MB), copied once out of the langchain4j test jar into target/. */
    public static Path miniLm() {
        return extract("all-minilm-l6-v2.onnx");
    }

    /** The same model quantized by ONNX Runtime's Python quantizer (dynamic, per-channel int8). */
    public static Path miniLmQuantized() {
        return extract("all-minilm-l6-v2-q.onnx");
    }

    public static Path miniLmTokenizer() {
        return extract("all-minilm-l6-v2-tokenizer.json");
    }

    private static synchronized Path extract(String resource) {
        Path dir = root().resolve("target/test-models");
        Path out = dir.resolve(resource);
        if (Files.isRegularFile(out)) {
            return out;
        }
        try (InputStream in = TestModels.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is not on the test classpath");
            }
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, resource, ".tmp");
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A fresh temp directory under target/ (kept small; cleaned by mvn clean). */
    public static Path tempDir(String prefix) {
        try {
            Path dir = root().resolve("target/test-tmp");
            Files.createDirectories(dir);
            return Files.createTempDirectory(dir, prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
