package dev.edgefit.bench;

import dev.edgefit.Sentences;
import dev.edgefit.TestModels;
import dev.edgefit.common.Progress;
import dev.edgefit.compress.Int8Dynamic;
import dev.edgefit.compress.Params;
import dev.edgefit.compress.TechniqueContext;
import dev.edgefit.eval.Evaluator;
import dev.edgefit.eval.Fidelity;
import dev.edgefit.eval.Latency;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.OnnxModels;
import dev.edgefit.runtime.OrtRunner;
import dev.edgefit.runtime.RunnerOptions;
import dev.edgefit.runtime.Tensor;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * all-MiniLM-L6-v2: EdgeFit's int8-dynamic against the -q twin quantized by ONNX Runtime's own Python
 * quantizer, same inputs, same runtime, same run. Run with `mvn -Pbench test -Dtest=Int8MiniLmBench`.
 * Prints one Markdown table row per model; docs/benchmarks.md keeps the table.
 */
@Tag("bench")
class Int8MiniLmBench {

    @Test
    void int8DynamicAgainstOnnxRuntimeQuantizer() throws Exception {
        Path fp32 = TestModels.miniLm();
        Path twin = TestModels.miniLmQuantized();
        Int8Dynamic t = new Int8Dynamic();
        long t0 = System.nanoTime();
        ModelSnapshot q = t.apply(OnnxModels.load(fp32), Params.defaults(t), TechniqueContext.of(Progress.NONE));
        Path ours = TestModels.tempDir("bench").resolve("minilm-int8-dynamic.onnx");
        OnnxModels.save(q, ours);
        double quantizeMs = (System.nanoTime() - t0) / 1e6;
        List<Map<String, Tensor>> inputs = Sentences.miniLmInputs();
        Map<String, Tensor> latencyInput = new dev.edgefit.data.InputGenerator(q, Map.of()).generate(1);
        int threads = Integer.getInteger("bench.threads", 1);
        RunnerOptions opts = RunnerOptions.DEFAULT.withThreads(threads);
        System.out.println("| model | file bytes | mean cosine to fp32 | p50 ms (seq 128, " + threads + " thread) | p90 ms |");
        System.out.println("|---|---|---|---|---|");
        List<Path> models = List.of(fp32, twin, ours);
        List<OrtRunner> runners = new java.util.ArrayList<>();
        try (OrtRunner ref = new OrtRunner(fp32, opts)) {
            for (Path p : models) {
                runners.add(new OrtRunner(p, opts));
            }
            // interleave rounds so that drift of the machine hits every model alike
            double[][] ms = new double[models.size()][];
            int rounds = 5;
            int perRound = 20;
            for (int i = 0; i < models.size(); i++) {
                ms[i] = new double[rounds * perRound];
                Evaluator.latencySamples(runners.get(i), latencyInput, 10, 1, Progress.NONE);
            }
            for (int r = 0; r < rounds; r++) {
                for (int i = 0; i < models.size(); i++) {
                    double[] one = Evaluator.latencySamples(runners.get(i), latencyInput, 2, perRound, Progress.NONE);
                    System.arraycopy(one, 0, ms[i], r * perRound, perRound);
                }
            }
            for (int i = 0; i < models.size(); i++) {
                Fidelity f = Evaluator.compare(runners.get(i), ref, inputs, Progress.NONE);
                Latency l = Latency.of(ms[i], threads);
                System.out.printf("| %s | %d | %.5f | %.2f | %.2f |%n", models.get(i).getFileName(), Files.size(models.get(i)),
                        f.meanCosine(), l.p50(), l.p90());
            }
        } finally {
            runners.forEach(OrtRunner::close);
        }
        System.out.printf("quantize (load+apply+save) ms: %.0f%n", quantizeMs);
    }
}
