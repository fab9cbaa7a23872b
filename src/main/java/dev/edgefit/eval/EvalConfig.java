package dev.edgefit.eval;

import dev.edgefit.data.Dataset;
import dev.edgefit.data.InputOverrides;
import dev.edgefit.runtime.RunnerOptions;

import java.nio.file.Path;
import java.util.Map;

/**
 * What to measure: data (labelled gives accuracy; null means generated inputs), an optional reference model
 * for fidelity, runner options, latency runs, what the user fixed
 * about generated inputs (shapes of dynamic inputs, values), and sample limits.
 */
public record EvalConfig(Dataset data, Path reference, RunnerOptions runner, int warmup, int runs,
                         InputOverrides inputs, int maxSamples, int fidelitySamples, long seed) {

    public static EvalConfig defaults() {
        return new EvalConfig(null, null, RunnerOptions.DEFAULT, 5, 50, InputOverrides.NONE, Integer.MAX_VALUE, 32, 42);
    }

    public EvalConfig withData(Dataset d) {
        return new EvalConfig(d, reference, runner, warmup, runs, inputs, maxSamples, fidelitySamples, seed);
    }

    public EvalConfig withReference(Path r) {
        return new EvalConfig(data, r, runner, warmup, runs, inputs, maxSamples, fidelitySamples, seed);
    }

    public EvalConfig withRunner(RunnerOptions o) {
        return new EvalConfig(data, reference, o, warmup, runs, inputs, maxSamples, fidelitySamples, seed);
    }

    public EvalConfig withRuns(int warm, int n) {
        return new EvalConfig(data, reference, runner, warm, n, inputs, maxSamples, fidelitySamples, seed);
    }

    /** Fixed shapes for dynamic inputs (values the user fixed are kept). */
    public EvalConfig withShapes(Map<String, long[]> s) {
        return withInputs(new InputOverrides(s, inputs.values()));
    }

    /** What the user fixed about generated inputs: shapes and values. */
    public EvalConfig withInputs(InputOverrides i) {
        return new EvalConfig(data, reference, runner, warmup, runs, i, maxSamples, fidelitySamples, seed);
    }

    public EvalConfig withMaxSamples(int n) {
        return new EvalConfig(data, reference, runner, warmup, runs, inputs, n, fidelitySamples, seed);
    }

    public EvalConfig withFidelitySamples(int n) {
        return new EvalConfig(data, reference, runner, warmup, runs, inputs, maxSamples, n, seed);
    }
}
