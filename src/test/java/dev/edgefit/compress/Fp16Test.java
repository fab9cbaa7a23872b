package dev.edgefit.compress;

import dev.edgefit.Sentences;
import dev.edgefit.TestModels;
import dev.edgefit.common.EdgeFitException;
import dev.edgefit.common.Progress;
import dev.edgefit.eval.Evaluator;
import dev.edgefit.eval.Fidelity;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.OnnxModels;
import dev.edgefit.runtime.OrtRunner;
import dev.edgefit.runtime.RunnerOptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class Fp16Test {

    @Test
    void miniLmInFloat16WeightsHalvesTheFileAndKeepsOutputs() throws Exception {
        Path src = TestModels.miniLm();
        Technique t = TechniqueRegistry.get(Fp16.ID);
        ModelSnapshot half = t.apply(OnnxModels.load(src), Params.defaults(t), TechniqueContext.of(Progress.NONE));
        Path out = TestModels.tempDir("fp16").resolve("minilm-fp16.onnx");
        OnnxModels.save(half, out);
        double ratio = (double) Files.size(out) / Files.size(src);
        assertTrue(ratio > 0.49 && ratio < 0.52, "fp16 file is " + ratio + " of fp32");
        try (OrtRunner a = new OrtRunner(out, RunnerOptions.DEFAULT); OrtRunner b = new OrtRunner(src, RunnerOptions.DEFAULT)) {
            Fidelity f = Evaluator.compare(a, b, Sentences.miniLmInputs(), Progress.NONE);
            assertTrue(f.meanCosine() > 0.99999, "cosine " + f.meanCosine());
            assertEquals(1.0, f.top1Agreement(), 0.02);
            assertTrue(f.maxAbsDiff() < 0.05, "max abs diff " + f.maxAbsDiff());
        }
        // nothing left to convert the second time
        EdgeFitException e = assertThrows(EdgeFitException.class, () -> t.apply(half, Params.defaults(t), TechniqueContext.of(Progress.NONE)));
        assertEquals(EdgeFitException.Kind.NOT_APPLICABLE, e.kind());
    }
}
