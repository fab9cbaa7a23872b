package dev.edgefit.compress;

import dev.edgefit.TestModels;
import dev.edgefit.common.Progress;
import dev.edgefit.data.Dataset;
import dev.edgefit.data.Datasets;
import dev.edgefit.data.Preprocessing;
import dev.edgefit.eval.EvalConfig;
import dev.edgefit.eval.Evaluator;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.OnnxModels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Each technique on the sample CNN, measured on the 2,000 bundled test images by running the written file:
 * the accuracy drop stays within the technique's budget (the targets of the quantization issue).
 */
class SampleCnnAccuracyTest {
    private static ModelSnapshot cnn;
    private static Dataset data;
    private static double baseline;

    @BeforeAll
    static void measureOriginal() {
        cnn = OnnxModels.load(TestModels.sampleCnn());
        data = Datasets.open(TestModels.sampleData(), Preprocessing.fromJson(cnn.metadata(Preprocessing.METADATA_KEY)));
        baseline = Evaluator.evaluate(TestModels.sampleCnn(), EvalConfig.defaults().withData(data).withRuns(0, 1), Progress.NONE).accuracy();
        assertEquals(0.8965, baseline, 1e-9);
    }

    @ParameterizedTest(name = "{0} drops at most {1} points")
    @CsvSource({"int8-dynamic, 1.0", "int8-static, 0.5", "int4, 2.0", "fp16, 0.1", "fuse, 0.0"})
    void accuracyDropWithinBudget(String id, double maxDropPoints) {
        Technique t = TechniqueRegistry.get(id);
        ModelSnapshot out = t.apply(cnn, Params.defaults(t), new TechniqueContext(Progress.NONE, data));
        Path file = TestModels.tempDir("cnn-" + id).resolve(id + ".onnx");
        OnnxModels.save(out, file);
        double acc = Evaluator.evaluate(file, EvalConfig.defaults().withData(data).withRuns(0, 1), Progress.NONE).accuracy();
        double drop = (baseline - acc) * 100;
        assertTrue(drop <= maxDropPoints + 1e-9, id + ": accuracy " + acc + " vs " + baseline + " (drop " + drop + " points)");
        assertTrue(file.toFile().length() <= TestModels.sampleCnn().toFile().length(), id + " does not grow the file");
    }

    @ParameterizedTest(name = "binary keeps a runnable model")
    @CsvSource({"binary"})
    void binaryRunsAndSaysWhatItCosts(String id) throws Exception {
        Technique t = TechniqueRegistry.get(id);
        ModelSnapshot out = t.apply(cnn, Params.parse(t, Map.of("min-elements", "256")), new TechniqueContext(Progress.NONE, data));
        Path file = TestModels.tempDir("cnn-binary").resolve("binary.onnx");
        OnnxModels.save(out, file);
        double acc = Evaluator.evaluate(file, EvalConfig.defaults().withData(data).withRuns(0, 1), Progress.NONE).accuracy();
        assertTrue(acc > 0.1, "binary weights still classify better than chance: " + acc);
        assertTrue(Files.size(file) < Files.size(TestModels.sampleCnn()) * 0.6, "conv2, pwconv and fc1 at one bit each");
    }
}
