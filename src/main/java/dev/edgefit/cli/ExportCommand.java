package dev.edgefit.cli;

import dev.edgefit.common.EdgeFitException;
import dev.edgefit.device.DeviceCatalog;
import dev.edgefit.device.DeviceProfile;
import dev.edgefit.eval.Acceptance;
import dev.edgefit.export.Artifact;
import dev.edgefit.export.Verification;
import dev.edgefit.export.ExportFormat;
import dev.edgefit.export.ExportResult;
import dev.edgefit.export.ExportService;
import dev.edgefit.pipeline.Recipe;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.export.tflite.TflitePrecision;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "export", description = "Write deployable artifacts, each reloaded, run and compared with MODEL before it is reported.")
final class ExportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Parameters(paramLabel = "MODEL")
    Path model;
    @Option(names = "--format", required = true, split = ",", paramLabel = "FORMAT",
            description = "One or more of onnx, ort, tflite, tflite-fp16, tflite-int8-weights, tflite-int8, tflite-micro, tensorrt-bundle; comma separated.")
    List<String> formats;
    @Option(names = "--precision", split = ",", paramLabel = "fp32|fp16|int8-weights|int8",
            description = "For --format tflite: the precision(s) to write (default fp32); tflite-int8 is the same as tflite with int8.")
    List<String> precisions;
    @Option(names = "--out", required = true, paramLabel = "DIR")
    Path out;
    @Option(names = "--data", paramLabel = "DIR_OR_FILE", description = "Verification and calibration inputs (labelled data also gives each artifact's accuracy).")
    Path data;
    @Option(names = "--samples", defaultValue = "64", description = "Inputs compared per artifact.")
    int samples;
    @Option(names = "--calibration-samples", defaultValue = "200", description = "Samples calibrating full-integer TFLite, TFLite Micro and the TensorRT bundle.")
    int calibrationSamples;
    @Option(names = "--device", paramLabel = "ID", description = "Target device id (see 'edgefit devices'): recorded in the manifest; TFLite Micro checks its flash and RAM.")
    String device;
    @picocli.CommandLine.Mixin
    InputOptions inputOptions = new InputOptions();

    @Option(names = "--accept", paramLabel = "RULE", description = "The rule every artifact must meet against MODEL, else it is flagged: "
            + "accuracy>=0.98, sqnrDb>=20, relL2<=0.1, top1>=0.98, several separated by commas (the first one measured decides), or none. "
            + "Default: accuracy>=0.98,sqnrDb>=10.")
    String accept;
    @Option(names = "--overwrite", description = "Replace files of an earlier export in DIR.")
    boolean overwrite;
    @Option(names = "--json")
    boolean json;

    @Override
    public Integer call() {
        Cli.requireFolderTarget("--out", out);
        ModelSnapshot m = Cli.load(model);
        var fixed = inputOptions.overrides(m, model);
        EnumSet<ExportFormat> fs = formats(formats, precisions);
        if (samples < 1 || calibrationSamples < 1) {
            throw EdgeFitException.badParameter("--samples and --calibration-samples must be at least 1.");
        }
        DeviceProfile dev = null;
        if (device != null) {
            DeviceCatalog c = DeviceCatalog.bundled();
            dev = c.find(device).orElseThrow(() -> EdgeFitException.badParameter("Unknown device '" + device + "'; known: "
                    + String.join(", ", c.profiles().stream().map(DeviceProfile::id).toList()) + "."));
        }
        var dataset = Cli.data(data, m);
        // no step: the recipe is the model as it is, with the data it was verified on
        Map<String, Object> recipe = new Recipe(model.getFileName().toString(), ExportService.sha256(model),
                Recipe.dataOf(dataset, fixed), Acceptance.forSteps().text(), java.util.List.of()).toMap();
        ExportResult r = ExportService.export(new ExportService.Request(m, model, out, fs, dataset, samples, null, overwrite,
                recipe, dev, calibrationSamples, fixed,
                Cli.acceptance(accept, null, Acceptance.forExports())), Cli.progress(spec));
        print(spec, r, json);
        return 0;
    }

    /** The formats asked for, with --precision turning tflite into one TFLite format per precision. */
    static EnumSet<ExportFormat> formats(List<String> formats, List<String> precisions) {
        EnumSet<ExportFormat> fs = EnumSet.noneOf(ExportFormat.class);
        formats.forEach(f -> fs.add(ExportFormat.parse(f)));
        if (precisions != null && !precisions.isEmpty()) {
            if (!fs.remove(ExportFormat.TFLITE)) {
                throw EdgeFitException.badParameter("--precision applies to --format tflite; add tflite to --format or leave --precision out.");
            }
            precisions.forEach(p -> fs.add(ExportFormat.tflite(TflitePrecision.parse(p))));
        }
        return fs;
    }

    static Map<String, Object> json(ExportResult r) {
        Map<String, Object> j = new LinkedHashMap<>();
        List<Map<String, Object>> arts = new ArrayList<>();
        for (Artifact a : r.artifacts()) {
            arts.add(a.describe(null));
        }
        j.put("artifacts", arts);
        j.put("manifest", r.manifest().toString());
        return j;
    }

    static void print(CommandSpec spec, ExportResult r, boolean json) {
        if (json) {
            Cli.json(spec, json(r));
            return;
        }
        PrintWriter o = Cli.out(spec);
        for (Artifact a : r.artifacts()) {
            var v = a.verification();
            o.printf(Locale.ROOT, "%s  %s, %s, %,d bytes, sha256 %s%n    verified in %s: SQNR %s, max |diff| %.3g, cosine %s, top-1 agreement %s%s — %s%n",
                    a.path(), a.format(), a.precision(), a.bytes(), a.sha256(), v.runtime(), v.sqnrText(), v.maxAbsDiff(),
                    Verification.text(v.meanCosine(), "%.5f"), Verification.text(v.top1Agreement(), "%.4f"),
                    v.accuracy() == null ? "" : String.format(Locale.ROOT, ", accuracy %.2f%%", v.accuracy() * 100), (v.passed() ? "ok: " : "") + v.note());
        }
        for (Artifact a : r.artifacts()) {
            if (a.details() != null && a.details().get("arenaEstimateBytes") != null) {
                long est = ((Number) a.details().get("arenaEstimateBytes")).longValue();
                long rec = ((Number) a.details().get("arenaRecommendedBytes")).longValue();
                o.printf(Locale.ROOT, "%s: tensor arena %s (EDGEFIT_TENSOR_ARENA_SIZE: the estimate of %s + 25%%), register %s%n    %s%n",
                        a.path().getFileName(), dev.edgefit.device.Constraints.formatBytes(rec), dev.edgefit.device.Constraints.formatBytes(est),
                        a.details().get("resolvers"), a.details().get("fit"));
            }
        }
        o.println("manifest " + r.manifest());
        o.println("not produced: " + ExportFormat.COREML_NOTE);
        o.flush();
    }
}
