package dev.edgefit.cli;

import dev.edgefit.common.EdgeFitException;
import dev.edgefit.common.NewFiles;
import dev.edgefit.compress.Params;
import dev.edgefit.compress.Technique;
import dev.edgefit.compress.TechniqueRegistry;
import dev.edgefit.data.InputGenerator;
import dev.edgefit.device.Constraints;
import dev.edgefit.device.DeviceCatalog;
import dev.edgefit.device.DeviceProfile;
import dev.edgefit.device.HostInfo;
import dev.edgefit.eval.Acceptance;
import dev.edgefit.eval.EvalConfig;
import dev.edgefit.export.ExportFormat;
import dev.edgefit.export.ExportResult;
import dev.edgefit.export.ExportService;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.ModelStats;
import dev.edgefit.model.OnnxModels;
import dev.edgefit.pipeline.Experiment;
import dev.edgefit.pipeline.Step;
import dev.edgefit.report.DeploymentReport;
import dev.edgefit.report.ReportBuilder;
import dev.edgefit.report.ReportWriter;
import dev.edgefit.runtime.ShapeProbe;
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
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "report", description = "Run the original and the techniques as one experiment, export the result and write report.json and report.html.")
final class ReportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Parameters(paramLabel = "MODEL")
    Path model;
    @Option(names = "--technique", split = ",", paramLabel = "ID[,ID...]", description = "Techniques to apply in order (none: report the model as it is).")
    List<String> techniques;
    @Option(names = "--param", paramLabel = "ID.KEY=VALUE", description = "A technique parameter, e.g. int8-static.calibration=entropy.")
    List<String> params;
    @Option(names = "--data", paramLabel = "DIR_OR_FILE")
    Path data;
    @Option(names = "--device", paramLabel = "ID", description = "Target device id (see 'edgefit devices').")
    String device;
    @picocli.CommandLine.Mixin
    ConstraintOptions limits = new ConstraintOptions();
    @picocli.CommandLine.Mixin
    InputOptions inputOptions = new InputOptions();
    @Option(names = "--format", split = ",", defaultValue = "onnx,ort", paramLabel = "onnx|ort")
    List<String> formats;
    @Option(names = "--accept", paramLabel = "RULE", description = "The acceptance rule for the steps and the exported artifacts, e.g. "
            + "accuracy>=0.95, sqnrDb>=20, relL2<=0.1 (comma separated: the first one measured decides), or none. "
            + "Default: accuracy>=0.95,sqnrDb>=10 for steps and accuracy>=0.98,sqnrDb>=10 for artifacts.")
    String accept;
    @Option(names = "--threshold", paramLabel = "T", description = "Short for --accept accuracy>=T,sqnrDb>=10 for the steps (0 keeps every step).")
    Double threshold;
    @Option(names = "--runs", defaultValue = "30")
    int runs;
    @Option(names = "--out", required = true, paramLabel = "DIR")
    Path out;
    @Option(names = "--overwrite")
    boolean overwrite;
    @Option(names = "--json", description = "Print the report's JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        Cli.requireFolderTarget("--out", out);
        ModelSnapshot m = OnnxModels.load(model);
        var fixed = inputOptions.overrides(m, model);
        DeviceProfile dev = null;
        if (device != null) {
            dev = DeviceCatalog.withUserProfiles().plus(HostInfo.detect().thisMachine()).require(device);
        }
        Constraints user = limits.constraints();
        Constraints constraints = dev == null ? user : user.orElse(dev.defaultConstraints());
        EnumSet<ExportFormat> fs = EnumSet.noneOf(ExportFormat.class);
        formats.forEach(f -> fs.add(ExportFormat.parse(f)));
        List<Technique> ts = new ArrayList<>();
        if (techniques != null) {
            techniques.forEach(t -> ts.add(TechniqueRegistry.get(t.trim())));
        }
        List<Params> ps = new ArrayList<>();
        for (Technique t : ts) {
            Map<String, String> given = new LinkedHashMap<>();
            if (params != null) {
                for (String p : params) {
                    int eq = p.indexOf('=');
                    int dot = p.indexOf('.');
                    if (eq <= 0 || dot <= 0 || dot > eq) {
                        throw EdgeFitException.badParameter("--param takes ID.KEY=VALUE (e.g. int4.block-size=64), not '" + p + "'.");
                    }
                    if (p.substring(0, dot).equals(t.id())) {
                        given.put(p.substring(dot + 1, eq), p.substring(eq + 1));
                    }
                }
            }
            ps.add(Params.parse(t, given));
        }
        if (ts.isEmpty()) {
            ExportService.check(m, fs);   // the model exported is MODEL itself: refuse before measuring or writing anything
        }
        var dataset = Cli.data(data, m);
        NewFiles added = NewFiles.under(out);
        try {
            return write(m, fixed, dev, constraints, fs, ts, ps, dataset);
        } catch (RuntimeException | Error e) {
            added.removeAdded();
            throw e;
        }
    }

    /** Runs the steps, exports and writes the report; on failure the caller removes what was written. */
    private int write(ModelSnapshot m, dev.edgefit.data.InputOverrides fixed, DeviceProfile dev, Constraints constraints,
            EnumSet<ExportFormat> fs, List<Technique> ts, List<Params> ps, dev.edgefit.data.Dataset dataset) throws Exception {
        Path work = out.resolve("steps");
        try (Experiment ex = new Experiment(model, dataset, EvalConfig.defaults().withRuns(3, Math.max(1, runs)).withInputs(fixed), work)) {
            ex.setAcceptance(Cli.acceptance(accept, threshold, Acceptance.forSteps()));
            CompressCommand.get(ex.measureOriginal());
            for (int i = 0; i < ts.size(); i++) {
                CompressCommand.get(ex.run(ts.get(i), ps.get(i)));
            }
            Step last = ex.current();
            Map<String, Object> recipe = ex.recipe(last.index()).toMap();
            ExportResult exported = ExportService.export(new ExportService.Request(last.snapshot(), model, out, fs, dataset, 64, null,
                    overwrite, recipe, dev, ExportService.DEFAULT_CALIBRATION_SAMPLES, fixed,
                    accept == null ? null : Cli.acceptance(accept, null, null)), Cli.progress(spec));
            ModelStats stats;
            try {
                stats = ModelStats.compute(m, ShapeProbe.probe(m, new InputGenerator(m, fixed).generate(0)));
            } catch (EdgeFitException e) {
                stats = ModelStats.compute(m, Map.of());
            }
            DeploymentReport r = ReportBuilder.from(ex, stats, dev, constraints, exported, HostInfo.detect());
            ReportWriter.writeJson(r, out.resolve("report.json"));
            ReportWriter.writeHtml(r, out.resolve("report.html"));
            if (json) {
                Cli.json(spec, r);
            } else {
                PrintWriter o = Cli.out(spec);
                for (Step s : ex.steps()) {
                    Cli.print(o, "step " + s.index() + " " + s.techniqueId() + ": " + s.status().name().toLowerCase(java.util.Locale.ROOT)
                            + (s.note() == null ? "" : " (" + s.note() + ")"), s.metrics());
                }
                String where = dev == null || HostInfo.THIS_MACHINE.equals(dev.id()) ? "measured" : "on the device";
                r.constraints().forEach(c -> o.printf("constraint %-12s %-12s limit %s, %s %s%s%n", c.name(), c.status(), c.limit(), where, c.actual(),
                        c.thisMachine() == null ? "" : " (this machine's: " + c.thisMachine() + ")"));
                if (r.device().get("verdict") != null) {
                    o.println("fits " + dev.id() + ": " + ReportWriter.verdict(r));
                }
                ExportCommand.print(spec, exported, false);
                o.println("report " + out.resolve("report.html"));
                o.flush();
            }
            return 0;
        }
    }
}
