package dev.edgefit.export;

import dev.edgefit.common.AtomicFiles;
import dev.edgefit.common.EdgeFitException;
import dev.edgefit.common.Json;
import dev.edgefit.common.Progress;
import dev.edgefit.data.Dataset;
import dev.edgefit.eval.EvalConfig;
import dev.edgefit.eval.Evaluator;
import dev.edgefit.eval.Fidelity;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.OnnxModels;
import dev.edgefit.model.TensorSpec;
import dev.edgefit.runtime.OrtRunner;
import dev.edgefit.runtime.Runner;
import dev.edgefit.runtime.RunnerOptions;
import dev.edgefit.runtime.Tensor;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a snapshot as deployable artifacts. Every artifact is written atomically, reloaded from disk, run in ONNX
 * Runtime and compared with the source model on the same inputs before it is reported; a manifest with the SHA-256
 * of every file closes the export.
 */
public final class ExportService {
    public static final double AGREEMENT_THRESHOLD = 0.98;

    private ExportService() {
    }

    /**
     * @param snapshot   what to ship
     * @param source     the user's model file: the reference the artifacts are verified against (read only)
     * @param data       labelled or unlabelled verification data; null for inputs generated from the signature
     */
    public record Request(ModelSnapshot snapshot, Path source, Path dir, Set<ExportFormat> formats, Dataset data, int samples,
                          RunnerOptions.OptLevel ortLevel, boolean overwrite, Map<String, Object> recipe) {
    }

    public static ExportResult export(Request req, Progress progress) {
        Path dir = req.dir().toAbsolutePath();
        if (req.formats().isEmpty()) {
            throw EdgeFitException.badParameter("Choose at least one export format.");
        }
        List<Path> targets = new ArrayList<>();
        req.formats().forEach(f -> targets.add(dir.resolve(f.fileName())));
        targets.add(dir.resolve("manifest.json"));
        Path src = req.source().toAbsolutePath().normalize();
        for (Path t : targets) {
            if (t.normalize().equals(src)) {
                throw EdgeFitException.badParameter(dir + " holds the source model " + src.getFileName() + "; export into another folder.");
            }
            if (Files.exists(t) && !req.overwrite()) {
                throw new EdgeFitException(EdgeFitException.Kind.IO, dir + " already contains " + t.getFileName()
                        + "; choose an empty folder or allow overwrite.");
            }
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw EdgeFitException.io(dir, "could not be created (" + e.getMessage() + ").", e);
        }
        List<Artifact> artifacts = new ArrayList<>();
        Path onnx = dir.resolve(ExportFormat.ONNX.fileName());
        boolean onnxWanted = req.formats().contains(ExportFormat.ONNX);
        Path onnxFile = onnxWanted ? onnx : tempOnnx(dir);
        OnnxModels.save(req.snapshot(), onnxFile);
        int i = 0;
        try {
            for (ExportFormat f : List.of(ExportFormat.ONNX, ExportFormat.ORT)) {
                if (!req.formats().contains(f)) {
                    continue;
                }
                progress.checkCancelled();
                Progress slice = progress.slice((double) i / req.formats().size(), (double) ++i / req.formats().size());
                Path file = dir.resolve(f.fileName());
                if (f == ExportFormat.ORT) {
                    RunnerOptions.OptLevel level = req.ortLevel() == null ? RunnerOptions.OptLevel.BASIC : req.ortLevel();
                    Path tmp = dir.resolve("." + f.fileName() + ".tmp");
                    OrtRunner.writeOptimized(onnxFile, tmp, level, true);
                    try {
                        AtomicFiles.moveIntoPlace(tmp, file);
                    } catch (IOException e) {
                        throw EdgeFitException.io(file, "could not be written (" + e.getMessage() + ").", e);
                    }
                }
                slice.update(0.3, "Verifying " + f.fileName());
                Verification v = verify(file, src, req, slice.slice(0.3, 1));
                artifacts.add(new Artifact(file, f.id(), Precision.of(req.snapshot()), size(file), sha256(file), v));
            }
        } finally {
            if (!onnxWanted) {
                try {
                    Files.deleteIfExists(onnxFile);
                } catch (IOException ignored) {
                    // a hidden temp file in the export folder; harmless
                }
            }
        }
        Path manifest = dir.resolve("manifest.json");
        AtomicFiles.writeString(manifest, Json.write(manifest(req, src, artifacts)));
        progress.update(1, "Exported " + artifacts.size() + " artifacts to " + dir);
        return new ExportResult(dir, artifacts, manifest);
    }

    private static Path tempOnnx(Path dir) {
        return dir.resolve(".model.onnx.tmp");
    }

    /** Runs the artifact from disk and the source on the same inputs. */
    static Verification verify(Path artifact, Path source, Request req, Progress progress) {
        EvalConfig cfg = EvalConfig.defaults().withData(req.data()).withFidelitySamples(req.samples());
        try (Runner a = new OrtRunner(artifact, RunnerOptions.DEFAULT); Runner s = new OrtRunner(source, RunnerOptions.DEFAULT)) {
            List<Map<String, Tensor>> inputs = new Evaluator.Inputs(source, s, cfg).samples(req.samples());
            Fidelity f = Evaluator.compare(a, s, inputs, progress.slice(0, 0.5));
            Double accuracy = null;
            if (req.data() != null && req.data().labelled()) {
                accuracy = Evaluator.evaluate(artifact, cfg.withRuns(0, 1), progress.slice(0.5, 1)).accuracy();
            }
            boolean passed = f.top1Agreement() >= AGREEMENT_THRESHOLD;
            String note = passed ? "top-1 agreement with the source model is at least " + AGREEMENT_THRESHOLD
                    : String.format(java.util.Locale.ROOT, "FLAGGED: top-1 agreement %.4f with the source model is below %.2f", f.top1Agreement(), AGREEMENT_THRESHOLD);
            return new Verification(a.runtimeName(), f.maxAbsDiff(), f.meanCosine(), f.top1Agreement(), accuracy, f.samples(), passed, note);
        }
    }

    private static Map<String, Object> manifest(Request req, Path src, List<Artifact> artifacts) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("edgefit", version());
        m.put("created", Instant.now().toString());
        m.put("source", Map.of("file", src.getFileName().toString(), "bytes", size(src), "sha256", sha256(src)));
        m.put("inputs", req.snapshot().inputs().stream().map(TensorSpec::describe).toList());
        m.put("outputs", req.snapshot().outputs().stream().map(TensorSpec::describe).toList());
        if (req.recipe() != null) {
            m.put("recipe", req.recipe());
        }
        List<Map<String, Object>> arts = new ArrayList<>();
        for (Artifact a : artifacts) {
            arts.add(a.describe(a.path().getParent()));
        }
        m.put("artifacts", arts);
        return m;
    }

    public static String version() {
        String v = ExportService.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    public static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            throw EdgeFitException.io(p, "could not be read (" + e.getMessage() + ").", e);
        }
    }

    public static String sha256(Path p) {
        try (InputStream in = Files.newInputStream(p)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            int r;
            while ((r = in.read(buf)) > 0) {
                md.update(buf, 0, r);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw EdgeFitException.io(p, "could not be read (" + e.getMessage() + ").", e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
