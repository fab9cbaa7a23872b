package dev.edgefit.compress;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.edgefit.ModelCorpus;
import dev.edgefit.common.EdgeFitException;
import dev.edgefit.common.Progress;
import dev.edgefit.eval.EvalConfig;
import dev.edgefit.eval.Evaluator;
import dev.edgefit.model.DType;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.Nodes;
import dev.edgefit.model.OnnxModels;
import dev.edgefit.runtime.OrtRunner;
import dev.edgefit.runtime.RunnerOptions;
import dev.edgefit.runtime.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.*;

/** all-MiniLM-L6-v2 quantized by ONNX Runtime's dynamic quantizer: every technique leaves its int8 parts alone. */
class QuantizedPartsTest {
    private static ModelSnapshot q;
    private static QuantizedParts parts;

    @BeforeAll
    static void load() {
        q = OnnxModels.load(ModelCorpus.MINILM_Q.path());
        parts = QuantizedParts.of(q);
    }

    @Test
    void findsOnnxRuntimesDynamicQuantizationAndItsScales() {
        assertEquals(Map.of("MatMulInteger", 36, "DynamicQuantizeLinear", 24, "DequantizeLinear", 3), parts.ops());
        // ONNX Runtime names what it writes: every weight's _quantized, _scale and _zero_point is protected, nothing else
        Set<String> named = q.initializers().keySet().stream()
                .filter(n -> n.endsWith("_quantized") || n.endsWith("_scale") || n.endsWith("_zero_point")).collect(Collectors.toSet());
        Set<String> protectedOnes = q.initializers().keySet().stream().filter(parts::isProtected).collect(Collectors.toSet());
        assertEquals(named, protectedOnes);
        assertTrue(parts.describe().startsWith("already int8: "), parts.describe());
        assertFalse(QuantizedParts.of(OnnxModels.load(ModelCorpus.FASHION_CNN.path())).any(), "the float sample has no quantized part");
    }

    @Test
    void techniquesWithNothingLeftInFloatRefuseNamingTheQuantizedParts() {
        for (String id : List.of(Int8Dynamic.ID, Int8Static.ID, Int4WeightOnly.ID, BinaryWeights.ID, MixedPrecision.ID)) {
            Technique t = TechniqueRegistry.get(id);
            EdgeFitException e = assertThrows(EdgeFitException.class, () -> t.apply(q, Params.defaults(t), TechniqueContext.of(Progress.NONE)), id);
            assertEquals(EdgeFitException.Kind.NOT_APPLICABLE, e.kind(), id);
            assertTrue(e.getMessage().contains("already int8: ") && e.getMessage().contains("36 MatMulInteger") && e.getMessage().contains(id),
                    e.getMessage());
        }
        Technique fuse = new LayerFusion();
        EdgeFitException e = assertThrows(EdgeFitException.class, () -> fuse.apply(q, Params.defaults(fuse), TechniqueContext.of(Progress.NONE)));
        assertTrue(e.getMessage().contains("nothing to fuse"), e.getMessage());
    }

    /** Every quantized weight, scale and zero point of the source, unchanged, in the output. */
    private static void assertQuantizedPartsKept(ModelSnapshot out) {
        Map<String, TensorProto> after = out.initializers();
        for (TensorProto t : q.initializers().values()) {
            if (parts.isProtected(t.getName())) {
                assertEquals(t, after.get(t.getName()), t.getName() + " is kept as it was");
            }
        }
        assertEquals(36, out.graph().getNodeList().stream().filter(n -> n.getOpType().equals("MatMulInteger")).count());
    }

    private static double cosineToSource(ModelSnapshot out) {
        List<Map<String, Tensor>> inputs = new Evaluator.Inputs(q, EvalConfig.defaults()).samples(4);
        // the mean cosine of token vectors (rows of 384), computed here rather than by eval.Fidelity, whose cosine is per output tensor
        double sum = 0;
        int rows = 0;
        try (OrtRunner a = OrtRunner.inMemory(q, RunnerOptions.DEFAULT); OrtRunner b = OrtRunner.inMemory(out, RunnerOptions.DEFAULT)) {
            for (Map<String, Tensor> in : inputs) {
                float[] x = b.run(in).get("last_hidden_state").floats();
                float[] y = a.run(in).get("last_hidden_state").floats();
                for (int r = 0; r + 384 <= x.length; r += 384) {
                    double dot = 0;
                    double nx = 0;
                    double ny = 0;
                    for (int i = r; i < r + 384; i++) {
                        dot += (double) x[i] * y[i];
                        nx += (double) x[i] * x[i];
                        ny += (double) y[i] * y[i];
                    }
                    sum += dot / Math.sqrt(nx * ny);
                    rows++;
                }
            }
        }
        return sum / rows;
    }

    @Test
    void fp16WeightsConvertsOnlyTheFloatPartsAndSaysWhatItLeft() {
        Technique t = new Fp16();
        TechniqueContext ctx = TechniqueContext.of(Progress.NONE);
        ModelSnapshot out = t.apply(q, Params.parse(t, Map.of("min-elements", "0")), ctx);
        assertQuantizedPartsKept(out);
        long halves = out.initializers().values().stream().filter(x -> x.getDataType() == DType.FLOAT16.onnxCode()).count();
        assertTrue(halves > 0, "biases and LayerNorm weights went to float16");
        @SuppressWarnings("unchecked")
        Map<String, Object> d = (Map<String, Object>) ctx.details().get("alreadyQuantized");
        assertTrue(String.valueOf(d.get("summary")).contains("36 MatMulInteger"), String.valueOf(d));
        // dynamic activation quantization turns any change into some rounding flips; the int8 model against fp32 is ~0.98
        double cos = cosineToSource(out);
        assertTrue(cos > 0.97, "mean token cosine to the int8 source " + cos);
    }

    @Test
    void fp16GraphKeepsTheIntegerRescalingInFloat32() {
        Technique t = new Fp16();
        ModelSnapshot out = t.apply(q, Params.parse(t, Map.of("mode", "graph")), TechniqueContext.of(Progress.NONE));
        assertQuantizedPartsKept(out);
        Set<String> accumulators = out.graph().getNodeList().stream().filter(n -> n.getOpType().equals("MatMulInteger"))
                .map(n -> n.getOutput(0)).collect(Collectors.toSet());
        List<NodeProto> casts = out.graph().getNodeList().stream()
                .filter(n -> n.getOpType().equals("Cast") && accumulators.contains(n.getInput(0))).toList();
        assertEquals(36, casts.size());
        for (NodeProto c : casts) {
            assertEquals(DType.FLOAT.onnxCode(), Nodes.intAttr(c, "to", 0), c.getName() + ": an int32 accumulator would overflow float16");
        }
        double cos = cosineToSource(out);
        assertTrue(cos > 0.97, "mean token cosine to the int8 source " + cos);
    }
}
