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
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class Int8DynamicTest {

    @Test
    void roundingMatchesRintTiesToEven() {
        java.util.Random r = new java.util.Random(3);
        for (int k = 0; k < 200_000; k++) {
            float x = (r.nextFloat() * 2 - 1) * 130f;
            org.junit.jupiter.api.Assertions.assertEquals((int) Math.rint(x), Int8Dynamic.roundHalfEven(x), "x = " + x);
        }
        for (float x : new float[] {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 126.5f, -127.5f, 0f, -0f}) {
            org.junit.jupiter.api.Assertions.assertEquals((int) Math.rint(x), Int8Dynamic.roundHalfEven(x), "x = " + x);
        }
    }

    @Test
    void miniLmInt8IsSmallAndFaithful() throws Exception {
        Path src = TestModels.miniLm();
        ModelSnapshot fp32 = OnnxModels.load(src);
        Technique t = TechniqueRegistry.get(Int8Dynamic.ID);
        ModelSnapshot q = t.apply(fp32, Params.defaults(t), TechniqueContext.of(Progress.NONE));
        Path out = TestModels.tempDir("int8").resolve("minilm-int8.onnx");
        OnnxModels.save(q, out);
        long fpBytes = Files.size(src);
        long qBytes = Files.size(out);
        assertTrue(qBytes <= 0.30 * fpBytes, "int8 file is " + qBytes + " bytes, fp32 " + fpBytes);
        long matMulInteger = q.graph().getNodeList().stream().filter(n -> n.getOpType().equals("MatMulInteger")).count();
        assertEquals(36, matMulInteger, "all 36 projection MatMuls of the 6 layers are quantized");
        // what stays float: the 12 attention MatMuls, which multiply two activations
        assertEquals(12, q.graph().getNodeList().stream().filter(n -> n.getOpType().equals("MatMul"))
                .filter(n -> !q.initializers().containsKey(n.getInput(1))).count());
        assertEquals(12, q.graph().getNodeList().stream().filter(n -> n.getOpType().equals("MatMul")).count());
        try (OrtRunner a = new OrtRunner(out, RunnerOptions.DEFAULT); OrtRunner b = new OrtRunner(src, RunnerOptions.DEFAULT)) {
            Fidelity f = Evaluator.compare(a, b, Sentences.miniLmInputs(), Progress.NONE);
            assertTrue(f.meanCosine() >= 0.99, "mean cosine " + f.meanCosine());
        }
        // the source snapshot is unchanged (immutable) and still quantizable again
        assertEquals(fp32.graph().getNodeCount(), OnnxModels.load(src).graph().getNodeCount());
    }

    @Test
    void parametersAreCheckedAndAModelWithoutLayersIsRefused() {
        Technique t = new Int8Dynamic();
        EdgeFitException e = assertThrows(EdgeFitException.class, () -> Params.parse(t, Map.of("per-channel", "maybe")));
        assertTrue(e.getMessage().contains("per-channel") && e.getMessage().contains("int8-dynamic"), e.getMessage());
        EdgeFitException e2 = assertThrows(EdgeFitException.class, () -> Params.parse(t, Map.of("bits", "4")));
        assertTrue(e2.getMessage().contains("no parameter 'bits'"), e2.getMessage());
        // quantizing an already quantized model finds nothing left to do
        ModelSnapshot fp32 = OnnxModels.load(TestModels.miniLm());
        ModelSnapshot once = t.apply(fp32, Params.defaults(t), TechniqueContext.of(Progress.NONE));
        EdgeFitException e3 = assertThrows(EdgeFitException.class, () -> t.apply(once, Params.defaults(t), TechniqueContext.of(Progress.NONE)));
        assertEquals(EdgeFitException.Kind.NOT_APPLICABLE, e3.kind());
    }

    @Test
    void sampleCnnWithConvIntegerStaysAccurate() throws Exception {
        ModelSnapshot cnn = OnnxModels.load(TestModels.sampleCnn());
        Technique t = new Int8Dynamic();
        ModelSnapshot q = t.apply(cnn, Params.parse(t, Map.of("conv", "true")), TechniqueContext.of(Progress.NONE));
        assertEquals(4, q.graph().getNodeList().stream().filter(n -> n.getOpType().equals("ConvInteger")).count());
        assertEquals(2, q.graph().getNodeList().stream().filter(n -> n.getOpType().equals("MatMulInteger")).count());
        Path out = TestModels.tempDir("int8conv").resolve("cnn.onnx");
        OnnxModels.save(q, out);
        var data = dev.edgefit.data.Datasets.open(TestModels.sampleData(),
                dev.edgefit.data.Preprocessing.fromJson(cnn.metadata(dev.edgefit.data.Preprocessing.METADATA_KEY)));
        var cfg = dev.edgefit.eval.EvalConfig.defaults().withData(data).withRuns(0, 1);
        double before = Evaluator.evaluate(TestModels.sampleCnn(), cfg, Progress.NONE).accuracy();
        double after = Evaluator.evaluate(out, cfg, Progress.NONE).accuracy();
        assertTrue(before - after <= 0.01, "ConvInteger + MatMulInteger: " + after + " vs " + before);
        assertTrue(Files.size(out) < Files.size(TestModels.sampleCnn()) * 0.3);
    }

    /** A CNN without MatMul/Gemm (BlazeFace, converted by tf2onnx) is told that conv=true applies, and what it costs. */
    @Test
    void aCnnWithoutMatMulIsPointedToConvInteger() {
        ModelSnapshot face = OnnxModels.load(dev.edgefit.ModelCorpus.BLAZEFACE.path());
        Technique t = new Int8Dynamic();
        EdgeFitException e = assertThrows(EdgeFitException.class, () -> t.apply(face, Params.defaults(t), TechniqueContext.of(Progress.NONE)));
        assertEquals(EdgeFitException.Kind.NOT_APPLICABLE, e.kind());
        assertTrue(e.getMessage().contains("conv=true") && e.getMessage().contains("ConvInteger") && e.getMessage().contains("slower"),
                e.getMessage());
        ModelSnapshot q = t.apply(face, Params.parse(t, Map.of("conv", "true")), TechniqueContext.of(Progress.NONE));
        assertTrue(q.graph().getNodeList().stream().anyMatch(n -> n.getOpType().equals("ConvInteger")));
    }
}
