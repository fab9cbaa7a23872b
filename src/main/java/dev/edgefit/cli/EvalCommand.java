package dev.edgefit.cli;

import dev.edgefit.data.Dataset;
import dev.edgefit.data.InputOverrides;
import dev.edgefit.eval.EvalConfig;
import dev.edgefit.eval.Evaluator;
import dev.edgefit.eval.Metrics;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.runtime.RunnerOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "eval", description = "Measure a model by running it in ONNX Runtime: accuracy (labelled --data), fidelity (--reference), "
        + "latency on this machine, peak memory, size.")
final class EvalCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Parameters(paramLabel = "MODEL", description = "An .onnx file.")
    Path model;
    @Option(names = "--data", paramLabel = "DIR_OR_FILE",
            description = "IDX images (+ labels for accuracy), preprocessed as the model's metadata says. Without it, inputs are generated.")
    Path data;
    @Option(names = "--reference", paramLabel = "MODEL", description = "Compare outputs with this model on the same inputs (fidelity).")
    Path reference;
    @Option(names = "--threads", defaultValue = "0", paramLabel = "N", description = "Intra-op threads (0 = ONNX Runtime's default). Default: ${DEFAULT-VALUE}.")
    int threads;
    @Option(names = "--runs", defaultValue = "50", paramLabel = "N", description = "Timed runs for latency, at least; runs go on until 0.3 s have passed. Default: ${DEFAULT-VALUE}.")
    int runs;
    @Option(names = "--warmup", defaultValue = "5", paramLabel = "N", description = "Untimed runs first. Default: ${DEFAULT-VALUE}.")
    int warmup;
    @Option(names = "--max-samples", paramLabel = "N", description = "Use at most this many data samples for accuracy. Default: all.")
    Integer maxSamples;
    @Option(names = "--fidelity-samples", defaultValue = "32", paramLabel = "N", description = "Inputs compared with --reference. Default: ${DEFAULT-VALUE}.")
    int fidelitySamples;
    @picocli.CommandLine.Mixin
    InputOptions inputOptions = new InputOptions();
    @Option(names = "--json", description = "Print one JSON document on stdout and nothing else.")
    boolean json;

    @Override
    public Integer call() {
        Cli.atLeast("--runs", runs, 1);
        Cli.atLeast("--warmup", warmup, 0);
        Cli.atLeast("--threads", threads, 0);
        Cli.atLeast("--fidelity-samples", fidelitySamples, 1);
        if (maxSamples != null) {
            Cli.atLeast("--max-samples", maxSamples, 1);
        }
        ModelSnapshot m = Cli.load(model);
        InputOverrides fixed = inputOptions.overrides(m, model);
        if (reference != null) {
            Cli.checkReference(m, model, Cli.load(reference), reference);
        }
        Dataset dataset = Cli.data(data, m);
        EvalConfig cfg = EvalConfig.defaults().withData(dataset).withReference(reference)
                .withRunner(RunnerOptions.DEFAULT.withThreads(threads)).withRuns(warmup, runs)
                .withInputs(fixed).withMaxSamples(maxSamples == null ? Integer.MAX_VALUE : maxSamples)
                .withFidelitySamples(fidelitySamples);
        Metrics r = Evaluator.evaluate(model, cfg, Cli.progress(spec));
        if (json) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("file", model.toString());
            j.put("reference", reference == null ? null : reference.toString());
            j.put("data", data == null ? null : data.toString());
            j.putAll(Cli.metrics(r));
            Cli.json(spec, j);
        } else {
            Map<String, String> extra = new LinkedHashMap<>();
            if (dataset != null) {
                extra.put("data", dataset.source() + ": " + String.format(java.util.Locale.ROOT, "%,d", dataset.size()) + " samples"
                        + (dataset.labelled() ? "" : ", no labels, so no accuracy"));
            } else {
                extra.put("data", "none: inputs generated from the signature");
            }
            Cli.print(Cli.out(spec), model + (reference == null ? "" : " (reference " + reference + ")"), extra, r);
        }
        return 0;
    }
}
