package dev.edgefit.eval;

import dev.edgefit.data.Dataset;
import dev.edgefit.runtime.RunnerOptions;

import java.nio.file.Path;
import java.util.Map;

/**
 * What to measure: data (labelled gives accuracy; null means generated inputs), an optional reference model
 * for fidelity, runner options, latency runs, shape overrides for dynamic inputs, and sample limits.
 */
public record EvalConfig(Dataset data, Path reference, RunnerOptions runner, int warmup, int runs,
                         Map<String, long[]> shapes, int maxSamples, int fidelitySamples, long seed) {

    public static EvalConfig defaults() {
        return new EvalConfig(null, null, RunnerOptions.DEFAULT, 5, 50, Map.of(), Integer.MAX_VALUE, 32, 42);
    }

    public EvalConfig withData(Dataset d) {
        return new EvalConfig(d, reference, runner, warmup, runs, shapes, maxSamples, fidelitySamples, seed);
    }

    public EvalConfig withReference(Path r) {
        return new EvalConfig(data, r, runner, warmup, runs, shapes, maxSamples, fidelitySamples, seed);
    }

    public EvalConfig withRunner(RunnerOptions o) {
        return new EvalConfig(data, reference, o, warmup, runs, shapes, maxSamples, fidelitySamples, seed);
    }

    public EvalConfig withRuns(int warm, int n) {
        return new EvalConfig(data, reference, runner, warm, n, shapes, maxSamples, fidelitySamples, seed);
    }

    public EvalConfig withShapes(Map<String, long[]> s) {
        return new EvalConfig(data, reference, runner, warmup, runs, Map.copyOf(s), maxSamples, fidelitySamples, seed);
    }

    public EvalConfig withMaxSamples(int n) {
        return new EvalConfig(data, reference, runner, warmup, runs, shapes, n, fidelitySamples, seed);
    }

    public EvalConfig withFidelitySamples(int n) {
        return new EvalConfig(data, reference, runner, warmup, runs, shapes, maxSamples, n, seed);
    }
}
