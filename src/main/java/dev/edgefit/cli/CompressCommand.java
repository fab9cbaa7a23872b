package dev.edgefit.cli;

import dev.edgefit.common.AtomicFiles;
import dev.edgefit.common.EdgeFitException;
import dev.edgefit.compress.Params;
import dev.edgefit.compress.Technique;
import dev.edgefit.compress.TechniqueRegistry;
import dev.edgefit.eval.Acceptance;
import dev.edgefit.eval.EvalConfig;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.data.InputOverrides;
import dev.edgefit.export.ExportService;
import dev.edgefit.pipeline.Experiment;
import dev.edgefit.pipeline.Recipe;
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
    @Parameters(paramLabel = "MODEL", description = "An .onnx file (read only: it is never written).")
    Path model;
    @Option(names = "--technique", paramLabel = "ID", description = "Technique id (see 'edgefit techniques').")
    String technique;
    @Option(names = "--pipeline", paramLabel = "ID,ID...", split = ",", description = "Several techniques, applied in order.")
    List<String> pipeline;
    @Option(names = "--param", paramLabel = "KEY=VALUE", description = "Technique parameter; with --pipeline write ID.KEY=VALUE.")
    List<String> params;
    @Option(names = "--recipe", paramLabel = "FILE", description = "Replay a recipe: a manifest.json or report.json (their recipe) or a recipe "
            + "file in JSON or YAML; the same techniques and parameters, data and acceptance rule. --data, --accept, --shape and --input override its own.")
    Path recipeFile;
    @Option(names = "--force", description = "With --recipe: apply it even though MODEL is not the file it was made from (SHA-256 differs).")
    boolean force;
    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Where to write the compressed model (.onnx); not MODEL.")
    Path out;
    @Option(names = "--data", paramLabel = "DIR_OR_FILE", description = "Data for accuracy and calibration. Without it, inputs are generated "
            + "and the new model is judged by its fidelity to MODEL.")
    Path data;
    @Option(names = "--accept", paramLabel = "RULE", description = "Keep a step only if it meets this rule: accuracy>=0.95, sqnrDb>=20, relL2<=0.1, "
            + "top1>=0.98, cosine>=0.99, several separated by commas (the first one measured decides), or none. Default: accuracy>=0.95,sqnrDb>=10.")
    String accept;
    @Option(names = "--threshold", paramLabel = "T", description = "Short for --accept accuracy>=T,sqnrDb>=10 (0 keeps every step).")
    Double threshold;
    @Option(names = "--threads", defaultValue = "0", paramLabel = "N", description = "Intra-op threads (0 = ONNX Runtime's default).")
    int threads;
    @Option(names = "--runs", defaultValue = "30", paramLabel = "N", description = "Timed runs for latency. Default: ${DEFAULT-VALUE}.")
    int runs;
    @Option(names = "--warmup", defaultValue = "3", paramLabel = "N", description = "Untimed runs first. Default: ${DEFAULT-VALUE}.")
    int warmup;
    @Option(names = "--max-samples", paramLabel = "N", description = "Use at most this many data samples for accuracy. Default: all.")
    Integer maxSamples;
    @Option(names = "--fidelity-samples", defaultValue = "32", paramLabel = "N", description = "Inputs compared with MODEL. Default: ${DEFAULT-VALUE}.")
    int fidelitySamples;
    @picocli.CommandLine.Mixin
    InputOptions inputOptions = new InputOptions();
    @Option(names = "--json", description = "Print one JSON document on stdout and nothing else.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        checkOut();
        Cli.atLeast("--runs", runs, 1);
        Cli.atLeast("--warmup", warmup, 0);
        Cli.atLeast("--threads", threads, 0);
        Cli.atLeast("--fidelity-samples", fidelitySamples, 1);
        if (maxSamples != null) {
            Cli.atLeast("--max-samples", maxSamples, 1);
        }
        Recipe recipe = recipeFile == null ? null : readRecipe();
        Acceptance rule = Cli.acceptance(accept, threshold, recipe == null ? Acceptance.forSteps() : recipe.acceptanceRule());
        List<String> ids = new ArrayList<>();
        if (technique != null) {
            ids.add(technique.trim());
        }
        if (pipeline != null) {
            pipeline.forEach(p -> ids.add(p.trim()));
        }
        List<Technique> ts = new ArrayList<>();
        List<Params> ps = new ArrayList<>();
        if (recipe != null) {
            if (!ids.isEmpty() || params != null) {
                throw EdgeFitException.badParameter("Give --recipe or --technique/--pipeline/--param, not both: the recipe names the techniques and their parameters.");
            }
            for (Recipe.Entry e : recipe.steps()) {
                ts.add(e.resolveTechnique());
                ps.add(e.resolveParams());
            }
            if (ts.isEmpty()) {
                throw EdgeFitException.badParameter("Recipe " + recipeFile + " has no step: it describes the original model, so there is nothing to apply.");
            }
        } else {
            if (ids.isEmpty()) {
                throw EdgeFitException.badParameter("Name a technique with --technique ID or --pipeline ID,ID (or replay one with --recipe FILE); "
                        + "'edgefit techniques' lists them.");
            }
            for (String id : ids) {
                ts.add(TechniqueRegistry.get(id));
            }
            Map<String, Map<String, String>> given = paramsByTechnique(ids);
            for (Technique t : ts) {
                ps.add(Params.parse(t, given.getOrDefault(t.id(), Map.of())));
            }
        }
        ModelSnapshot m = Cli.load(model);
        if (recipe != null) {
            checkSource(recipe);
        }
        var fixed = inputOptions.overrides(m, model, recipe == null || data != null ? InputOverrides.NONE : recipe.data().inputs());
        Path dataPath = data;
        if (dataPath == null && recipe != null && !recipe.data().generated()) {
            dataPath = Path.of(recipe.data().path());
        }
        var dataset = Cli.data(dataPath, m);
        EvalConfig cfg = EvalConfig.defaults().withRunner(RunnerOptions.DEFAULT.withThreads(threads)).withRuns(warmup, runs)
                .withMaxSamples(maxSamples == null ? Integer.MAX_VALUE : maxSamples).withInputs(fixed).withFidelitySamples(fidelitySamples);
        Path work = Files.createTempDirectory("edgefit-compress");
        Thread cleanup = new Thread(() -> deleteQuietly(work), "edgefit-compress-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup); // Ctrl-C: no step files left in the temp folder
        try (Experiment ex = new Experiment(model, dataset, cfg, work)) {
            ex.setAcceptance(rule);
            var progress = Cli.progress(spec);
            ex.addListener(e -> {
                if (e instanceof dev.edgefit.pipeline.PipelineEvent.StepProgress p) {
                    progress.update(p.fraction(), "step " + p.stepIndex() + ": " + p.message());
                }
            });
            Step before = get(ex.measureOriginal());
            List<Step> steps = new ArrayList<>();
            for (int i = 0; i < ts.size(); i++) {
                // a recipe is a chain: each step on the one before, whatever the rule said of that one
                steps.add(get(recipe == null ? ex.run(ts.get(i), ps.get(i)) : ex.run(ts.get(i), ps.get(i), steps.isEmpty() ? 0 : steps.get(i - 1).index())));
            }
            Step last = recipe == null ? ex.current() : steps.get(steps.size() - 1);
            if (recipe != null && !last.isActive()) {
                throw new EdgeFitException(EdgeFitException.Kind.CONSTRAINT, "The recipe's last step was not kept: " + last.techniqueId() + ": " + last.note()
                        + " Nothing was written to " + out + "; use --accept none to keep it anyway.");
            }
            if (last.index() == 0) {
                Step rejected = steps.get(steps.size() - 1);
                throw new EdgeFitException(EdgeFitException.Kind.CONSTRAINT, "No step was kept: " + rejected.techniqueId() + ": " + rejected.note()
                        + " Nothing was written to " + out + "; use --accept none to keep it anyway.");
            }
            AtomicFiles.write(out, o -> Files.copy(last.artifact(), o));
            if (json) {
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("technique", ts.size() == 1 ? ts.get(0).id() : null);
                j.put("params", ts.size() == 1 ? ps.get(0).values() : null);
                j.put("source", model.toString());
                j.put("out", out.toString());
                j.put("outBytes", Files.size(out));
                j.put("keptStep", last.index());
                j.put("accept", rule.text());
                j.put("before", Cli.metrics(before.metrics()));
                j.put("after", Cli.metrics(last.metrics()));
                List<Map<String, Object>> stepJson = new ArrayList<>();
                for (Step s : steps) {
                    Map<String, Object> e = new LinkedHashMap<>();
                    e.put("index", s.index());
                    e.put("parent", s.parent());
                    e.put("technique", s.techniqueId());
                    e.put("params", s.params());
                    e.put("status", s.status().name().toLowerCase(Locale.ROOT));
                    e.put("retention", s.retention() == null || !Double.isFinite(s.retention()) ? null : s.retention());
                    e.put("decidedBy", s.decidedBy());
                    e.put("acceptance", Cli.decision(s.decision()));
                    e.put("applyMillis", s.applyMillis());
                    e.put("note", s.note());
                    e.put("metrics", Cli.metrics(s.metrics()));
                    if (!s.details().isEmpty()) {
                        e.put("details", s.details());
                    }
                    stepJson.add(e);
                }
                j.put("steps", stepJson);
                j.put("recipe", ex.recipe(last.index()).toMap());
                Cli.json(spec, j);
            } else {
                PrintWriter o = Cli.out(spec);
                Cli.print(o, "before: " + model, before.metrics());
                for (Step s : steps) {
                    Map<String, String> extra = new LinkedHashMap<>();
                    extra.put("params", s.params().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                            .collect(java.util.stream.Collectors.joining(", ")));
                    if (s.retention() != null) {
                        extra.put("retention", String.format(Locale.ROOT, "%.4f (accuracy over the original's)", s.retention()));
                    }
                    if (s.decidedBy() != null) {
                        extra.put("decided by", s.decidedBy() + " (rule " + rule.text() + ")");
                    }
                    if (s.note() != null) {
                        extra.put("note", s.note());
                    }
                    // a technique's own one-line account of what it did, e.g. which operators run in float16 here
                    s.details().forEach((k, v) -> {
                        if (v instanceof Map<?, ?> d && d.get("summary") instanceof String summary) {
                            extra.merge("summary", summary, (a, b) -> a + " " + b);
                        }
                    });
                    Cli.print(o, "step " + s.index() + " " + s.techniqueId() + ": " + s.status().name().toLowerCase(Locale.ROOT), extra, s.metrics());
                }
                o.printf(Locale.ROOT, "wrote %s (step %d, %,d bytes)%n", out, last.index(), Files.size(out));
                o.flush();
            }
            return 0;
        } finally {
            deleteQuietly(work);
            try {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs anyway
            }
        }
    }

    private Recipe readRecipe() {
        return Recipe.read(recipeFile);
    }

    /** A recipe made from another file is refused (unless --force): the same steps on other weights give another model. */
    private void checkSource(Recipe recipe) {
        if (recipe.sourceSha256() == null || force) {
            return;
        }
        String sha = ExportService.sha256(model);
        if (!sha.equalsIgnoreCase(recipe.sourceSha256())) {
            throw EdgeFitException.badParameter("Recipe " + recipeFile + " was made from " + (recipe.sourceFile() == null ? "another file" : recipe.sourceFile())
                    + " (SHA-256 " + recipe.sourceSha256().substring(0, Math.min(12, recipe.sourceSha256().length())) + "…), not from " + model + " (SHA-256 "
                    + sha.substring(0, 12) + "…); give the model it was made from, or --force to apply it anyway.");
        }
    }

    /** Refuses an --out that is the input model (by path or, if it exists, by file identity), a folder, or an .ort name. */
    private void checkOut() throws java.io.IOException {
        boolean same = out.toAbsolutePath().normalize().equals(model.toAbsolutePath().normalize());
        if (!same && Files.exists(out) && Files.exists(model)) {
            same = Files.isSameFile(out, model);
        }
        if (same) {
            throw EdgeFitException.badParameter("--out " + out + " is the input model; EdgeFit never overwrites the source, choose another file.");
        }
        if (Files.isDirectory(out)) {
            throw EdgeFitException.badParameter("--out " + out + " is a folder; give the file to write, e.g. " + out.resolve("model-small.onnx") + ".");
        }
        Cli.requireFileTarget("--out", out);
        if (out.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".ort")) {
            throw EdgeFitException.badParameter("--out " + out + ": compress writes ONNX; name it .onnx and use 'edgefit export --format ort' for ORT format.");
        }
    }

    /** The temp work folder and the step files in it; best effort, so that it never hides the command's own error. */
    private static void deleteQuietly(Path dir) {
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.deleteIfExists(p);
            }
            Files.deleteIfExists(dir);
        } catch (java.io.IOException | RuntimeException ignored) {
            // a leftover temp folder is harmless; the OS cleans the temp folder
        }
    }

    /** --param values grouped by technique id; KEY=VALUE for one technique, ID.KEY=VALUE with several. */
    private Map<String, Map<String, String>> paramsByTechnique(List<String> ids) {
        Map<String, Map<String, String>> m = new LinkedHashMap<>();
        if (params == null) {
            return m;
        }
        boolean qualified = ids.size() > 1;
        for (String p : params) {
            int eq = p.indexOf('=');
            if (eq <= 0) {
                throw EdgeFitException.badParameter("--param takes KEY=VALUE, not '" + p + "'.");
            }
            String key = p.substring(0, eq).trim();
            String id = ids.get(0);
            if (qualified) {
                int dot = key.indexOf('.');
                if (dot <= 0) {
                    throw EdgeFitException.badParameter("With several techniques, write --param ID.KEY=VALUE (e.g. int4.block-size=64), not '" + p + "'.");
                }
                id = key.substring(0, dot);
                key = key.substring(dot + 1);
                if (!ids.contains(id)) {
                    throw EdgeFitException.badParameter("--param " + p + " is for technique '" + id + "', which is not among " + String.join(", ", ids) + ".");
                }
            } else if (key.startsWith(id + ".")) {
                key = key.substring(id.length() + 1);
            }
            if (m.computeIfAbsent(id, k -> new LinkedHashMap<>()).put(key, p.substring(eq + 1)) != null) {
                throw EdgeFitException.badParameter("--param " + key + " of technique '" + id + "' is given twice.");
            }
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
