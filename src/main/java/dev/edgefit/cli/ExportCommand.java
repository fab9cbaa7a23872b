package dev.edgefit.cli;

import dev.edgefit.export.Artifact;
import dev.edgefit.export.ExportFormat;
import dev.edgefit.export.ExportResult;
import dev.edgefit.export.ExportService;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.OnnxModels;
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
    @Option(names = "--format", required = true, split = ",", paramLabel = "onnx|ort", description = "One or more formats, comma separated.")
    List<String> formats;
    @Option(names = "--out", required = true, paramLabel = "DIR")
    Path out;
    @Option(names = "--data", paramLabel = "DIR_OR_FILE", description = "Verification inputs (labelled data also gives each artifact's accuracy).")
    Path data;
    @Option(names = "--samples", defaultValue = "64", description = "Inputs compared per artifact.")
    int samples;
    @Option(names = "--overwrite", description = "Replace files of an earlier export in DIR.")
    boolean overwrite;
    @Option(names = "--json")
    boolean json;

    @Override
    public Integer call() {
        ModelSnapshot m = OnnxModels.load(model);
        EnumSet<ExportFormat> fs = EnumSet.noneOf(ExportFormat.class);
        formats.forEach(f -> fs.add(ExportFormat.parse(f)));
        ExportResult r = ExportService.export(new ExportService.Request(m, model, out, fs, Cli.data(data, m), samples, null, overwrite,
                Map.of("source", model.getFileName().toString())), Cli.progress(spec));
        print(spec, r, json);
        return 0;
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
            o.printf(Locale.ROOT, "%s  %s, %s, %,d bytes, sha256 %s%n    verified in %s: max |diff| %.3g, cosine %.5f, top-1 agreement %.4f%s — %s%n",
                    a.path(), a.format(), a.precision(), a.bytes(), a.sha256(), v.runtime(), v.maxAbsDiff(), v.meanCosine(), v.top1Agreement(),
                    v.accuracy() == null ? "" : String.format(Locale.ROOT, ", accuracy %.2f%%", v.accuracy() * 100), v.passed() ? "ok" : v.note());
        }
        o.println("manifest " + r.manifest());
        o.flush();
    }
}
