package dev.edgefit.cli;

import dev.edgefit.common.AtomicFiles;
import dev.edgefit.common.EdgeFitException;
import dev.edgefit.compress.Params;
import dev.edgefit.compress.Technique;
import dev.edgefit.compress.TechniqueRegistry;
import dev.edgefit.eval.EvalConfig;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.OnnxModels;
import dev.edgefit.pipeline.Experiment;
import dev.edgefit.pipeline.Step;
import dev.edgefit.runtime.RunnerOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;

@Command(name = "compress", description = "Apply one technique (or several in order) and write the new model, with before/after metrics.")
final class CompressCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Parameters(paramLabel = "MODEL")
    Path model;
    @Option(names = "--technique", paramLabel = "ID", description = "Technique id (see 'edgefit techniques').")
    String technique;
    @Option(names = "--pipeline", paramLabel = "ID,ID...", split = ",", description = "Several techniques, applied in order.")
    List<String> pipeline;
    @Option(names = "--param", paramLabel = "KEY=VALUE", description = "Technique parameter; with --pipeline write ID.KEY=VALUE.")
    List<String> params;
    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Where to write the compressed model.")
    Path out;
    @Option(names = "--data", paramLabel = "DIR_OR_FILE", description = "Data for accuracy and calibration.")
    Path data;
    @Option(names = "--threshold", defaultValue = "0.95", description = "Reject a step whose retention falls below this (0 keeps every step).")
    double threshold;
    @Option(names = "--threads", defaultValue = "0")
    int threads;
    @Option(names = "--runs", defaultValue = "30")
    int runs;
    @Option(names = "--max-samples", defaultValue = "" + Integer.MAX_VALUE)
    int maxSamples;
    @Option(names = "--json")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (out.toAbsolutePath().normalize().equals(model.toAbsolutePath().normalize())) {
            throw EdgeFitException.badParameter("--out " + out + " is the input model; EdgeFit never overwrites the source, choose another file.");
        }
        List<String> ids = new ArrayList<>();
        if (technique != null) {
            ids.add(technique);
        }
        if (pipeline != null) {
            ids.addAll(pipeline);
        }
        if (ids.isEmpty()) {
            throw EdgeFitException.badParameter("Name a technique with --technique ID or --pipeline ID,ID; 'edgefit techniques' lists them.");
        }
        List<Technique> ts = new ArrayList<>();
        List<Params> ps = new ArrayList<>();
        for (String id : ids) {
            ts.add(TechniqueRegistry.get(id.trim()));
        }
        for (Technique t : ts) {
            ps.add(Params.parse(t, paramsFor(t.id(), ids.size() > 1)));
        }
        ModelSnapshot m = OnnxModels.load(model);
        Path work = Files.createTempDirectory("edgefit-compress");
        EvalConfig cfg = EvalConfig.defaults().withRunner(RunnerOptions.DEFAULT.withThreads(threads)).withRuns(3, Math.max(1, runs))
                .withMaxSamples(maxSamples);
        try (Experiment ex = new Experiment(model, Cli.data(data, m), cfg, work)) {
            ex.setThreshold(threshold);
            var progress = Cli.progress(spec);
            ex.addListener(e -> {
                if (e instanceof dev.edgefit.pipeline.PipelineEvent.StepProgress p) {
                    progress.update(p.fraction(), "step " + p.stepIndex() + ": " + p.message());
                }
            });
            Step before = get(ex.measureOriginal());
            List<Step> steps = new ArrayList<>();
            for (int i = 0; i < ts.size(); i++) {
                steps.add(get(ex.run(ts.get(i), ps.get(i))));
            }
            Step last = ex.current();
            if (last.index() == 0) {
                throw new EdgeFitException(EdgeFitException.Kind.CONSTRAINT, "No step was kept: " + steps.get(steps.size() - 1).note()
                        + " Nothing was written; use --threshold 0 to keep it anyway.");
            }
            AtomicFiles.write(out, o -> Files.copy(last.artifact(), o));
            if (json) {
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("source", model.toString());
                j.put("out", out.toString());
                j.put("before", Cli.metrics(before.metrics()));
                List<Map<String, Object>> stepJson = new ArrayList<>();
                for (Step s : steps) {
                    Map<String, Object> e = new LinkedHashMap<>();
                    e.put("technique", s.techniqueId());
                    e.put("params", s.params());
                    e.put("status", s.status().name().toLowerCase(Locale.ROOT));
                    e.put("retention", s.retention());
                    e.put("note", s.note());
                    e.put("metrics", Cli.metrics(s.metrics()));
                    if (!s.details().isEmpty()) {
                        e.put("details", s.details());
                    }
                    stepJson.add(e);
                }
                j.put("steps", stepJson);
                j.put("after", Cli.metrics(last.metrics()));
                if (ts.size() == 1) {
                    j.put("technique", ts.get(0).id());
                    j.put("params", ps.get(0).values());
                }
                Cli.json(spec, j);
            } else {
                PrintWriter o = Cli.out(spec);
                Cli.print(o, "before: " + model, before.metrics());
                for (Step s : steps) {
                    Cli.print(o, "step " + s.index() + " " + s.techniqueId() + " " + s.params() + ": " + s.status().name().toLowerCase(Locale.ROOT)
                            + (s.note() == null ? "" : " (" + s.note() + ")"), s.metrics());
                }
                o.println("wrote " + out + " (step " + last.index() + ", " + Files.size(out) + " bytes)");
                o.flush();
            }
            return 0;
        } finally {
            try (var files = Files.list(work)) {
                for (Path p : files.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(work);
        }
    }

    private Map<String, String> paramsFor(String id, boolean qualified) {
        Map<String, String> m = new LinkedHashMap<>();
        if (params == null) {
            return m;
        }
        for (String p : params) {
            int eq = p.indexOf('=');
            if (eq <= 0) {
                throw EdgeFitException.badParameter("--param takes KEY=VALUE, not '" + p + "'.");
            }
            String key = p.substring(0, eq);
            if (qualified) {
                int dot = key.indexOf('.');
                if (dot <= 0) {
                    throw EdgeFitException.badParameter("With --pipeline, write --param ID.KEY=VALUE (e.g. int4.block-size=64), not '" + p + "'.");
                }
                if (!key.substring(0, dot).equals(id)) {
                    continue;
                }
                key = key.substring(dot + 1);
            }
            m.put(key, p.substring(eq + 1));
        }
        return m;
    }

    static Step get(Experiment.Task t) throws Exception {
        try {
            return t.result().get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception c) {
                throw c;
            }
            throw e;
        }
    }
}
