package dev.edgefit.export;

import dev.edgefit.common.AtomicFiles;
import dev.edgefit.common.EdgeFitException;
import dev.edgefit.common.Json;
import dev.edgefit.common.Progress;
import dev.edgefit.data.Dataset;
import dev.edgefit.device.DeviceProfile;
import dev.edgefit.export.tflite.MicroSource;
import dev.edgefit.export.tflite.TfliteConverter;
import dev.edgefit.export.tflite.TflitePrecision;
import dev.edgefit.runtime.TfliteRunner;
import dev.edgefit.data.InputOverrides;
import dev.edgefit.eval.Acceptance;
import dev.edgefit.eval.EvalConfig;
import dev.edgefit.eval.Evaluator;
import dev.edgefit.eval.Fidelity;
import dev.edgefit.model.Layouts;
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
 * Writes a snapshot as deployable artifacts. Every artifact is written atomically, reloaded from disk, run in a real
 * runtime (ONNX Runtime for ONNX/ORT and the TensorRT bundle's models, TensorFlow Lite for TFLite files and the bytes
 * of the TFLite Micro source) and compared with the source model on the same inputs before it is reported; a manifest
 * with the SHA-256 of every file and a README for the device team close the export.
 */
public final class ExportService {
    public static final int DEFAULT_CALIBRATION_SAMPLES = 200;

    private ExportService() {
    }

    /**
     * @param snapshot           what to ship
     * @param source             the user's model file: the reference the artifacts are verified against (read only)
     * @param data               labelled or unlabelled verification data; null for inputs generated from the signature
     * @param device             the target device, for the manifest and TFLite Micro's flash/RAM fit; may be null
     * @param calibrationSamples samples calibrating full-integer TFLite and the TensorRT bundle
     * @param inputs             what the user fixed about generated inputs (shapes, values), used when there is no data
     * @param acceptance         the rule an artifact must meet against the source (default {@link Acceptance#forExports()})
     */
    public record Request(ModelSnapshot snapshot, Path source, Path dir, Set<ExportFormat> formats, Dataset data, int samples,
                          RunnerOptions.OptLevel ortLevel, boolean overwrite, Map<String, Object> recipe, DeviceProfile device,
                          int calibrationSamples, InputOverrides inputs, Acceptance acceptance) {
        public Request {
            inputs = inputs == null ? InputOverrides.NONE : inputs;
            acceptance = acceptance == null ? Acceptance.forExports() : acceptance;
        }

        public Request(ModelSnapshot snapshot, Path source, Path dir, Set<ExportFormat> formats, Dataset data, int samples,
                       RunnerOptions.OptLevel ortLevel, boolean overwrite, Map<String, Object> recipe, DeviceProfile device,
                       int calibrationSamples, InputOverrides inputs) {
            this(snapshot, source, dir, formats, data, samples, ortLevel, overwrite, recipe, device, calibrationSamples, inputs, null);
        }

        public Request(ModelSnapshot snapshot, Path source, Path dir, Set<ExportFormat> formats, Dataset data, int samples,
                       RunnerOptions.OptLevel ortLevel, boolean overwrite, Map<String, Object> recipe, DeviceProfile device,
                       int calibrationSamples, Acceptance acceptance) {
            this(snapshot, source, dir, formats, data, samples, ortLevel, overwrite, recipe, device, calibrationSamples, null, acceptance);
        }

        public Request(ModelSnapshot snapshot, Path source, Path dir, Set<ExportFormat> formats, Dataset data, int samples,
                       RunnerOptions.OptLevel ortLevel, boolean overwrite, Map<String, Object> recipe, DeviceProfile device,
                       int calibrationSamples) {
            this(snapshot, source, dir, formats, data, samples, ortLevel, overwrite, recipe, device, calibrationSamples, null, null);
        }

        public Request(ModelSnapshot snapshot, Path source, Path dir, Set<ExportFormat> formats, Dataset data, int samples,
                       RunnerOptions.OptLevel ortLevel, boolean overwrite, Map<String, Object> recipe) {
            this(snapshot, source, dir, formats, data, samples, ortLevel, overwrite, recipe, null, DEFAULT_CALIBRATION_SAMPLES);
        }

        /** The same request with another acceptance rule (null: the default). */
        public Request withAcceptance(Acceptance a) {
            return new Request(snapshot, source, dir, formats, data, samples, ortLevel, overwrite, recipe, device, calibrationSamples, inputs, a);
        }
    }

    /** The files a format writes, relative to the export folder. */
    static List<String> files(ExportFormat f) {
        return switch (f) {
            case TFLITE_MICRO -> List.of("micro/model.tflite", "micro/model_data.cc", "micro/model_data.h");
            case TENSORRT_BUNDLE -> List.of("tensorrt/model.onnx", "tensorrt/model_qdq.onnx", "tensorrt/calibration.cache",
                    "tensorrt/build.sh", "tensorrt/README.md");
            default -> List.of(f.fileName());
        };
    }

    /**
     * Refuses, in milliseconds and before anything is calibrated or written, formats this model cannot be written in:
     * TFLite and TFLite Micro when the converter does not take an operator (every such node named), the TensorRT
     * bundle when its int8 QDQ model cannot be made (opset below 13, no layer to quantize). An export is all or nothing.
     */
    public static void check(ModelSnapshot snapshot, Set<ExportFormat> formats) {
        if (formats.isEmpty()) {
            throw EdgeFitException.badParameter("Choose at least one export format.");
        }
        String pp = snapshot.metadata(dev.edgefit.data.Preprocessing.METADATA_KEY);
        if (pp != null) {
            try {
                dev.edgefit.data.Preprocessing.fromJson(pp);
            } catch (EdgeFitException e) {
                throw new EdgeFitException(EdgeFitException.Kind.BAD_MODEL, (snapshot.origin() == null ? "The model" : snapshot.origin().toString())
                        + ": its " + dev.edgefit.data.Preprocessing.METADATA_KEY + " metadata is not usable, and an export would copy it into "
                        + "every artifact: " + e.getMessage(), e);
            }
        }
        if (formats.stream().anyMatch(f -> f.isTflite() || f == ExportFormat.TFLITE_MICRO)) {
            TfliteConverter.check(snapshot);
        }
        if (formats.contains(ExportFormat.TENSORRT_BUNDLE)) {
            TensorRtBundle.check(snapshot);
        }
    }

    public static ExportResult export(Request req, Progress progress) {
        Path dir = req.dir().toAbsolutePath();
        check(req.snapshot(), req.formats());
        List<Path> targets = new ArrayList<>();
        req.formats().forEach(f -> files(f).forEach(n -> targets.add(dir.resolve(n))));
        targets.add(dir.resolve("manifest.json"));
        targets.add(dir.resolve("README.md"));
        Path src = req.source().toAbsolutePath().normalize();
        for (Path t : targets) {
            if (t.normalize().equals(src)) {
                throw EdgeFitException.badParameter(dir + " holds the source model " + src.getFileName() + "; export into another folder.");
            }
            if (Files.exists(t) && !req.overwrite()) {
                throw new EdgeFitException(EdgeFitException.Kind.IO, dir + " already contains " + dir.relativize(t)
                        + "; choose an empty folder or allow overwrite.");
            }
        }
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw EdgeFitException.badParameter(dir + " exists and is not a folder; give a folder to export into.");
        }
        List<Path> created = new ArrayList<>();
        for (Path p = dir; p != null && !Files.exists(p); p = p.getParent()) {
            created.add(p);
        }
        for (String sub : List.of("micro", "tensorrt")) {
            if (!Files.exists(dir.resolve(sub))) {
                created.add(0, dir.resolve(sub));
            }
        }
        List<Path> fresh = new ArrayList<>();
        for (Path t : targets) {
            fresh.add(t);
            fresh.add(t.resolveSibling("." + t.getFileName() + ".tmp"));
        }
        fresh.removeIf(Files::exists);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw EdgeFitException.io(dir, "could not be created (" + e.getMessage() + ").", e);
        }
        try {
            return write(req, progress, dir, src);
        } catch (RuntimeException | Error e) {
            undo(fresh, created);
            throw e;
        }
    }

    /**
     * After a failure, removes what this export wrote where nothing was before, then the folders it created if they
     * are empty: an export is all or nothing. Files it replaced (with overwrite allowed) cannot be brought back.
     */
    private static void undo(List<Path> fresh, List<Path> created) {
        for (Path t : fresh) {
            try {
                Files.deleteIfExists(t);
            } catch (IOException ignored) {
                // best effort: the original failure is what the user must see
            }
        }
        for (Path d : created) {
            try {
                if (Files.isDirectory(d)) {
                    try (var s = Files.list(d)) {
                        if (s.findAny().isPresent()) {
                            continue;
                        }
                    }
                    Files.deleteIfExists(d);
                }
            } catch (IOException ignored) {
                // best effort, as above
            }
        }
    }

    private static ExportResult write(Request req, Progress progress, Path dir, Path src) {
        List<Artifact> artifacts = new ArrayList<>();
        Path onnx = dir.resolve(ExportFormat.ONNX.fileName());
        boolean onnxWanted = req.formats().contains(ExportFormat.ONNX);
        boolean ortWanted = req.formats().contains(ExportFormat.ORT);
        Path onnxFile = onnxWanted ? onnx : tempOnnx(dir);
        if (onnxWanted || ortWanted) {
            OnnxModels.save(req.snapshot(), onnxFile);
        }
        Context ctx = new Context(req, src);
        int i = 0;
        try {
            for (ExportFormat f : ExportFormat.values()) {
                if (!req.formats().contains(f)) {
                    continue;
                }
                progress.checkCancelled();
                Progress slice = progress.slice((double) i / req.formats().size(), (double) ++i / req.formats().size());
                int before = artifacts.size();
                switch (f) {
                    case ONNX, ORT -> {
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
                        Verification v;
                        try (Runner a = new OrtRunner(file, RunnerOptions.DEFAULT)) {
                            v = verify(a, ctx, slice.slice(0.3, 1));
                        }
                        artifacts.add(new Artifact(file, f.id(), Precision.of(req.snapshot()), size(file), sha256(file), v));
                    }
                    case TFLITE, TFLITE_FP16, TFLITE_INT8_WEIGHTS, TFLITE_INT8 -> artifacts.add(tflite(f, dir, ctx, slice));
                    case TFLITE_MICRO -> artifacts.add(micro(dir, ctx, slice));
                    case TENSORRT_BUNDLE -> artifacts.addAll(tensorRt(dir, ctx, slice));
                }
                for (Artifact a : artifacts.subList(before, artifacts.size())) {
                    slice.update(1, "Verified " + a.summary());
                }
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
        AtomicFiles.writeString(manifest, Json.write(manifest(req, src, dir, artifacts)));
        AtomicFiles.writeString(dir.resolve("README.md"), ModelCard.write(req, src, dir, artifacts));
        progress.update(1, "Exported " + artifacts.size() + " artifacts to " + dir);
        return new ExportResult(dir, artifacts, manifest);
    }

    /** What the formats of one export share: the calibration inputs (computed once) and the source's accuracy. */
    static final class Context {
        final Request req;
        final Path source;
        private List<Map<String, Tensor>> calibration;
        private Double sourceAccuracy;
        private boolean sourceAccuracyDone;

        Context(Request req, Path source) {
            this.req = req;
            this.source = source;
        }

        List<Map<String, Tensor>> calibration() {
            if (calibration == null) {
                EvalConfig cfg = EvalConfig.defaults().withData(req.data()).withInputs(req.inputs());
                calibration = new Evaluator.Inputs(req.snapshot(), cfg).samples(Math.max(1, req.calibrationSamples()));
            }
            return calibration;
        }
    }

    private static Path tempOnnx(Path dir) {
        return dir.resolve(".model.onnx.tmp");
    }

    private static void writeAtomically(Path file, byte[] bytes) {
        AtomicFiles.write(file, bytes);
    }

    private static Artifact tflite(ExportFormat f, Path dir, Context ctx, Progress progress) {
        TflitePrecision p = f.tflitePrecision();
        TfliteConverter.Result r = TfliteConverter.convert(ctx.req.snapshot(),
                new TfliteConverter.Options(p, false, p == TflitePrecision.INT8 ? ctx.calibration() : List.of()).withInputs(ctx.req.inputs()),
                progress.slice(0, 0.4));
        Path file = dir.resolve(f.fileName());
        writeAtomically(file, r.bytes());
        progress.update(0.4, "Verifying " + f.fileName());
        Verification v;
        try (TfliteRunner a = new TfliteRunner(file, r.inputPerms(), 1)) {
            v = verify(a, ctx, progress.slice(0.4, 1));
        }
        return new Artifact(file, f.id(), p.id(), size(file), sha256(file), v, tfliteDetails(r));
    }

    static Map<String, Object> tfliteDetails(TfliteConverter.Result r) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("precision", r.precision().description());
        d.put("io", r.precision() == TflitePrecision.INT8 ? (r.int8Io() ? "int8 input and output (scale and zero point below)"
                : "float32 input and output; QUANTIZE and DEQUANTIZE inside the model") : "float32 input and output");
        d.put("inputs", r.inputs().stream().map(TfliteConverter.Io::describe).toList());
        d.put("outputs", r.outputs().stream().map(TfliteConverter.Io::describe).toList());
        d.put("operators", r.operators().stream().map(Enum::name).toList());
        if (r.calibrationSamples() > 0) {
            d.put("calibrationSamples", r.calibrationSamples());
        }
        d.put("runtime", "TensorFlow Lite 2.21 or later (operator versions are written as 1)");
        d.put("notes", r.notes());
        return d;
    }

    private static Artifact micro(Path dir, Context ctx, Progress progress) {
        TfliteConverter.Result r = TfliteConverter.convert(ctx.req.snapshot(),
                new TfliteConverter.Options(TflitePrecision.INT8, true, ctx.calibration()).withInputs(ctx.req.inputs()),
                progress.slice(0, 0.4));
        Path micro = dir.resolve("micro");
        Path tfl = micro.resolve("model.tflite");
        Path cc = micro.resolve("model_data.cc");
        Path h = micro.resolve("model_data.h");
        writeAtomically(tfl, r.bytes());
        MicroSource.Plan plan = MicroSource.plan(r.model());
        String name = ctx.source.getFileName().toString();
        AtomicFiles.writeString(h, MicroSource.header(plan, name, r.bytes().length, r));
        AtomicFiles.writeString(cc, MicroSource.source(r.bytes(), "model_data.h"));
        try {
            if (!java.util.Arrays.equals(MicroSource.parseSource(Files.readString(cc)), Files.readAllBytes(tfl))) {
                throw new EdgeFitException(EdgeFitException.Kind.INTERNAL, cc + ": the array written does not hold the model's bytes.");
            }
        } catch (IOException e) {
            throw EdgeFitException.io(cc, "could not be read back (" + e.getMessage() + ").", e);
        }
        progress.update(0.4, "Verifying the TFLite Micro model");
        Verification v;
        try (TfliteRunner a = new TfliteRunner(tfl, r.inputPerms(), 1)) {
            Verification run = verify(a, ctx, progress.slice(0.4, 1));
            v = run.withRuntime(run.runtime() + ", running the bytes of micro/model_data.cc (TFLM itself is not run here)");
        }
        Map<String, Object> d = tfliteDetails(r);
        d.put("modelBytes", r.bytes().length);
        d.put("files", Map.of("source", "micro/model_data.cc", "header", "micro/model_data.h", "tflite", "micro/model.tflite",
                "tfliteSha256", sha256(tfl)));
        d.putAll(plan.describe());
        DeviceProfile dev = ctx.req.device();
        d.put("fit", MicroSource.fit(plan, r.bytes().length, dev == null ? null : dev.name(), dev == null ? 0 : dev.storageBytes(),
                dev == null ? 0 : dev.ramBytes(), dev == null ? null : dev.externalRamBytes()));
        return new Artifact(cc, ExportFormat.TFLITE_MICRO.id(), "int8 (full integer, int8 input and output)", size(cc), sha256(cc), v, d);
    }

    private static List<Artifact> tensorRt(Path dir, Context ctx, Progress progress) {
        Path trt = dir.resolve("tensorrt");
        try {
            Files.createDirectories(trt);
        } catch (IOException e) {
            throw EdgeFitException.io(trt, "could not be created (" + e.getMessage() + ").", e);
        }
        TensorRtBundle.Written w = TensorRtBundle.write(trt, ctx.req.snapshot(), ctx.req.data(), ctx.req.inputs(), ctx.calibration(),
                progress.slice(0, 0.5));
        List<Artifact> out = new ArrayList<>();
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("bundle", "tensorrt/: build.sh runs trtexec on the device (engines are not built here)");
        d.put("calibrationCache", Map.of("file", "tensorrt/calibration.cache", "tensors", w.calibratedTensors(), "header", TensorRtBundle.CACHE_HEADER,
                "sha256", sha256(w.cache())));
        d.put("trtexecShapes", TensorRtBundle.shapes(ctx.req.snapshot()));
        int k = 0;
        for (Path p : List.of(w.floatModel(), w.qdqModel())) {
            Verification v;
            try (Runner a = new OrtRunner(p, RunnerOptions.DEFAULT)) {
                v = verify(a, ctx, progress.slice(0.5 + 0.25 * k, 0.75 + 0.25 * k));
            }
            k++;
            out.add(new Artifact(p, ExportFormat.TENSORRT_BUNDLE.id(), p == w.qdqModel() ? "int8 static (QDQ, symmetric)" : Precision.of(ctx.req.snapshot()),
                    size(p), sha256(p), v, d));
        }
        AtomicFiles.writeString(w.readme(), TensorRtBundle.readme(ctx.req.snapshot(), w, out));
        return out;
    }

    /**
     * Runs the artifact and the source on the same inputs: fidelity over every output, and accuracy of both on labelled
     * data; the request's acceptance rule decides whether it passed.
     */
    static Verification verify(Runner artifact, Context ctx, Progress progress) {
        Request req = ctx.req;
        EvalConfig cfg = EvalConfig.defaults().withData(req.data()).withInputs(req.inputs()).withFidelitySamples(req.samples());
        try (Runner s = new OrtRunner(ctx.source, RunnerOptions.DEFAULT)) {
            Evaluator.Inputs inputs = new Evaluator.Inputs(ctx.source, s, cfg);
            Fidelity f = Evaluator.compare(artifact, s, inputs.samples(req.samples()), progress.slice(0, 0.4));
            Double accuracy = null;
            if (req.data() != null && req.data().labelled()) {
                accuracy = Evaluator.accuracy(artifact, inputs, req.data().size(), progress.slice(0.4, 0.8));
                if (!ctx.sourceAccuracyDone) {
                    ctx.sourceAccuracy = Evaluator.accuracy(s, inputs, req.data().size(), progress.slice(0.8, 1));
                    ctx.sourceAccuracyDone = true;
                }
            }
            Acceptance.Decision d = req.acceptance().judge(accuracy, ctx.sourceAccuracy, f);
            String note = (d.passed() ? "" : "FLAGGED: ") + d.text();
            return new Verification(artifact.runtimeName(), f.maxAbsDiff(), f.meanCosine(), f.top1Agreement(), accuracy, f.samples(), d.passed(), note,
                    ctx.sourceAccuracy, accuracy == null ? null : req.data().size(), f.sqnrDb(), f.relL2(), d.decidedBy(), d.rule(), f.outputs());
        }
    }

    private static Map<String, Object> manifest(Request req, Path src, Path dir, List<Artifact> artifacts) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("edgefit", version());
        m.put("created", Instant.now().toString());
        m.put("source", Map.of("file", src.getFileName().toString(), "bytes", size(src), "sha256", sha256(src)));
        if (req.device() != null) {
            m.put("device", Map.of("id", req.device().id(), "name", req.device().name(), "platform", req.device().platform().name().toLowerCase(java.util.Locale.ROOT)));
        } else {
            m.put("device", null);
        }
        m.put("inputs", req.snapshot().inputs().stream().map(s -> {
            // the axis order the source model (and its ONNX artifacts) take; each TFLite artifact's details say its own
            Map<String, Object> d = s.describe();
            String layout = Layouts.inputLayout(req.snapshot(), s.name());
            if (layout != null) {
                d.put("layout", layout);
            }
            return d;
        }).toList());
        m.put("outputs", req.snapshot().outputs().stream().map(TensorSpec::describe).toList());
        if (req.recipe() != null) {
            m.put("recipe", req.recipe());
        }
        List<Map<String, Object>> arts = new ArrayList<>();
        for (Artifact a : artifacts) {
            arts.add(a.describe(dir));
        }
        m.put("artifacts", arts);
        m.put("notProduced", List.of(Map.of("format", "coreml", "reason", ExportFormat.COREML_NOTE)));
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
