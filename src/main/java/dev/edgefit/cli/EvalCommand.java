package dev.edgefit.cli;

import dev.edgefit.eval.EvalConfig;
import dev.edgefit.eval.Evaluator;
import dev.edgefit.eval.Metrics;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.OnnxModels;
import dev.edgefit.runtime.RunnerOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "eval", description = "Measure a model: accuracy (labelled data) or fidelity (--reference), latency on this machine, size.")
final class EvalCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Parameters(paramLabel = "MODEL")
    Path model;
    @Option(names = "--data", paramLabel = "DIR_OR_FILE", description = "IDX images (+ labels for accuracy). Without it, inputs are generated.")
    Path data;
    @Option(names = "--reference", paramLabel = "MODEL", description = "Compare outputs with this model on the same inputs.")
    Path reference;
    @Option(names = "--threads", defaultValue = "0", description = "Intra-op threads (0 = ONNX Runtime's default).")
    int threads;
    @Option(names = "--runs", defaultValue = "50", description = "Timed runs for latency.")
    int runs;
    @Option(names = "--warmup", defaultValue = "5", description = "Untimed runs first.")
    int warmup;
    @Option(names = "--max-samples", defaultValue = "" + Integer.MAX_VALUE, description = "Use at most this many data samples for accuracy.")
    int maxSamples;
    @Option(names = "--fidelity-samples", defaultValue = "32", description = "Inputs compared with --reference.")
    int fidelitySamples;
    @Option(names = "--shape", paramLabel = "NAME=DIMS", description = "Shape of a dynamic input, e.g. input_ids=1x64 (default batch 1, sequence 128).")
    List<String> shapes;
    @Option(names = "--json")
    boolean json;

    @Override
    public Integer call() {
        ModelSnapshot m = OnnxModels.load(model);
        if (reference != null) {
            OnnxModels.load(reference);
        }
        EvalConfig cfg = EvalConfig.defaults().withData(Cli.data(data, m)).withReference(reference)
                .withRunner(RunnerOptions.DEFAULT.withThreads(threads)).withRuns(warmup, Math.max(1, runs))
                .withShapes(Cli.shapes(shapes)).withMaxSamples(maxSamples).withFidelitySamples(fidelitySamples);
        Metrics r = Evaluator.evaluate(model, cfg, Cli.progress(spec));
        if (json) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("file", model.toString());
            j.putAll(Cli.metrics(r));
            Cli.json(spec, j);
        } else {
            Cli.print(Cli.out(spec), model.toString(), r);
        }
        return 0;
    }
}
