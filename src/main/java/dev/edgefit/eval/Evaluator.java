package dev.edgefit.eval;

import dev.edgefit.common.EdgeFitException;
import dev.edgefit.common.Progress;
import dev.edgefit.data.Dataset;
import dev.edgefit.data.InputGenerator;
import dev.edgefit.model.DType;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.OnnxModels;
import dev.edgefit.model.TensorSpec;
import dev.edgefit.runtime.OrtRunner;
import dev.edgefit.runtime.Runner;
import dev.edgefit.runtime.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Measures an artifact by running it: accuracy on labelled data, fidelity against a reference model on the
 * same inputs, host latency percentiles and peak memory. Nothing here estimates.
 */
public final class Evaluator {
    private static final int MAX_BATCH = 64;
    /** The fewest seconds of timed runs (and of warm-up, when there is one) behind a measured latency. */
    public static final double MIN_LATENCY_SECONDS = 0.3;
    public static final double MIN_WARMUP_SECONDS = 0.1;
    static final int MAX_RUNS = 100_000;

    private Evaluator() {
    }

    public static Metrics evaluate(Path modelFile, EvalConfig cfg, Progress progress) {
        long fileBytes = fileSize(modelFile);
        Double accuracy = null;
        Integer accSamples = null;
        Fidelity fidelity = null;
        Latency latency;
        String runtime;
        try (Runner runner = new OrtRunner(modelFile, cfg.runner())) {
            Inputs inputs = new Inputs(modelFile, runner, cfg);
            progress.update(0.02, "Loaded " + modelFile.getFileName());
            if (cfg.data() != null && cfg.data().labelled()) {
                int n = Math.min(cfg.data().size(), cfg.maxSamples());
                accuracy = accuracy(runner, inputs, n, progress.slice(0.02, 0.6));
                accSamples = n;
            }
            if (cfg.reference() != null) {
                try (Runner ref = new OrtRunner(cfg.reference(), cfg.runner())) {
                    fidelity = compare(runner, ref, inputs.samples(cfg.fidelitySamples()), progress.slice(0.6, 0.75));
                }
            }
            latency = latency(runner, inputs.samples(1).get(0), cfg.warmup(), cfg.runs(), cfg.runner().threads(), progress.slice(0.75, 0.9));
            runtime = runner.runtimeName();
        }
        // after the latency runs, so that the child process does not take CPU from them
        progress.update(0.92, "Measuring peak memory in a process of its own");
        Long peak = MemoryProbe.measure(modelFile, cfg.runner(), cfg.inputs(), progress);
        progress.update(1.0, "Measured " + modelFile.getFileName());
        return new Metrics(fileBytes, accuracy, accSamples, fidelity, latency, peak, runtime);
    }

    private static long fileSize(Path f) {
        try {
            return Files.size(f);
        } catch (IOException e) {
            throw EdgeFitException.badModel(f, "could not be read (" + e.getMessage() + ").", e);
        }
    }

    /**
     * Top-1 accuracy over the first n samples of the inputs' labelled data, in batches when both the source model's
     * and the runner's batch axis are dynamic (a TFLite file has batch 1).
     */
    public static double accuracy(Runner runner, Inputs inputs, int n, Progress progress) {
        Dataset d = inputs.data;
        boolean runnerBatches = runner.inputs().isEmpty() || runner.inputs().get(0).shape().length == 0 || runner.inputs().get(0).shape()[0] < 0;
        int batch = inputs.batchable && runnerBatches ? MAX_BATCH : 1;
        int correct = 0;
        for (int start = 0; start < n; start += batch) {
            progress.checkCancelled();
            int b = Math.min(batch, n - start);
            Tensor out = runner.run(inputs.batch(start, b)).values().iterator().next();
            float[] logits = out.floats();
            int classes = logits.length / b;
            for (int i = 0; i < b; i++) {
                int arg = 0;
                for (int c = 1; c < classes; c++) {
                    if (logits[i * classes + c] > logits[i * classes + arg]) {
                        arg = c;
                    }
                }
                if (arg == d.label(start + i)) {
                    correct++;
                }
            }
            progress.update((double) (start + b) / n, "Accuracy: " + (start + b) + "/" + n + " samples");
        }
        return (double) correct / n;
    }

    /** Runs both models on the same inputs and compares every output, each with the reference's output of the same name. */
    public static Fidelity compare(Runner model, Runner reference, List<Map<String, Tensor>> samples, Progress progress) {
        Fidelity.Accumulator acc = new Fidelity.Accumulator();
        int i = 0;
        for (Map<String, Tensor> in : samples) {
            progress.checkCancelled();
            acc.add(model.run(in), reference.run(in));
            progress.update((double) ++i / samples.size(), "Fidelity: " + i + "/" + samples.size());
        }
        return acc.result();
    }

    public static Latency latency(Runner runner, Map<String, Tensor> input, int warmup, int runs, int threads, Progress progress) {
        return Latency.of(latencySamples(runner, input, warmup, runs, MIN_WARMUP_SECONDS, MIN_LATENCY_SECONDS, progress), threads);
    }

    /** Milliseconds of each of {@code runs} single inferences after {@code warmup} unmeasured ones. */
    public static double[] latencySamples(Runner runner, Map<String, Tensor> input, int warmup, int runs, Progress progress) {
        return latencySamples(runner, input, warmup, runs, 0, 0, progress);
    }

    /**
     * As {@link #latencySamples(Runner, Map, int, int, Progress)}, but the warm-up (when there is one) lasts at least
     * {@code minWarmupSeconds} and the timed runs at least {@code minSeconds} (at most {@value #MAX_RUNS} runs): 50
     * runs of a model that takes 0.05 ms are 2.5 ms of measurement, which a moment of other work on the machine
     * moves as a whole; a third of a second of runs gives a median that repeats.
     */
    public static double[] latencySamples(Runner runner, Map<String, Tensor> input, int warmup, int runs, double minWarmupSeconds,
                                          double minSeconds, Progress progress) {
        long warmUntil = System.nanoTime() + (long) (minWarmupSeconds * 1e9);
        for (int i = 0; i < warmup || (warmup > 0 && System.nanoTime() < warmUntil && i < MAX_RUNS); i++) {
            progress.checkCancelled();
            runner.run(input);
        }
        double[] ms = new double[Math.max(1, runs)];
        int n = 0;
        long start = System.nanoTime();
        long until = start + (long) (minSeconds * 1e9);
        while (n < Math.max(1, runs) || (System.nanoTime() < until && n < MAX_RUNS)) {
            progress.checkCancelled();
            if (n == ms.length) {
                ms = Arrays.copyOf(ms, ms.length * 2);
            }
            long t0 = System.nanoTime();
            runner.run(input);
            ms[n] = (System.nanoTime() - t0) / 1e6;
            n++;
            if ((n & 7) == 0) {
                double byCount = (double) n / Math.max(1, runs);
                double byTime = minSeconds <= 0 ? 1 : (System.nanoTime() - start) / (minSeconds * 1e9);
                progress.update(Math.min(1, Math.min(byCount, byTime)), "Latency: run " + n);
            }
        }
        return Arrays.copyOf(ms, n);
    }

    /** Model inputs from a dataset (checked against the model's input) or generated from the signature. */
    public static final class Inputs {
        final Dataset data;
        final boolean batchable;
        private final TensorSpec input;
        private final InputGenerator generator;
        private final long seed;

        public Inputs(Path modelFile, Runner runner, EvalConfig cfg) {
            this(modelFile.getFileName().toString(), runner.inputs(), cfg.data() == null ? OnnxModels.load(modelFile) : null, cfg);
        }

        /** Inputs for a snapshot in memory (calibration inside a technique). */
        public Inputs(ModelSnapshot model, EvalConfig cfg) {
            this(model.label(), model.inputs(), model, cfg);
        }

        private Inputs(String modelName, List<TensorSpec> ins, ModelSnapshot snap, EvalConfig cfg) {
            this.data = cfg.data();
            this.seed = cfg.seed();
            if (data != null) {
                if (ins.size() != 1 || ins.get(0).dtype() != DType.FLOAT) {
                    throw new EdgeFitException(EdgeFitException.Kind.BAD_DATASET, data.source() + ": this dataset gives one float image per sample, but "
                            + modelName + " takes " + ins + ".");
                }
                this.input = ins.get(0);
                checkShape(modelName, input, data);
                this.batchable = input.shape()[0] < 0;
                this.generator = null;
            } else {
                this.input = null;
                this.batchable = false;
                this.generator = new InputGenerator(snap, cfg.inputs());
            }
        }

        static void checkShape(String modelName, TensorSpec input, Dataset data) {
            long[] want = input.shape();
            long[] have = data.sampleShape();
            boolean ok = want.length == have.length + 1;
            for (int i = 0; ok && i < have.length; i++) {
                ok = want[i + 1] < 0 || want[i + 1] == have[i];
            }
            if (!ok) {
                throw new EdgeFitException(EdgeFitException.Kind.BAD_DATASET, data.source() + ": samples have shape "
                        + shapeText(have) + ", but input '" + input.name() + "' of " + modelName
                        + " expects " + input.shapeText() + " (batch first).");
            }
        }

        private static String shapeText(long[] s) {
            return String.join("x", Arrays.stream(s).mapToObj(Long::toString).toList());
        }

        public Map<String, Tensor> batch(int start, int b) {
            long[] one = data.sampleShape();
            int per = 1;
            for (long d : one) {
                per *= (int) d;
            }
            float[] buf = new float[per * b];
            for (int i = 0; i < b; i++) {
                System.arraycopy(data.sample(start + i), 0, buf, i * per, per);
            }
            long[] shape = new long[one.length + 1];
            shape[0] = b;
            System.arraycopy(one, 0, shape, 1, one.length);
            return Map.of(input.name(), Tensor.of(buf, shape));
        }

        /** n single-sample inputs: the first n dataset samples, or n generated ones with fixed seeds. */
        public List<Map<String, Tensor>> samples(int n) {
            List<Map<String, Tensor>> out = new ArrayList<>();
            if (data != null) {
                for (int i = 0; i < Math.min(n, data.size()); i++) {
                    out.add(batch(i, 1));
                }
            } else {
                for (int i = 0; i < n; i++) {
                    out.add(generator.generate(seed + i));
                }
            }
            return out;
        }
    }
}
