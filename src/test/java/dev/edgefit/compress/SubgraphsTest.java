package dev.edgefit.compress;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.edgefit.ModelCorpus;
import dev.edgefit.common.EdgeFitException;
import dev.edgefit.common.Progress;
import dev.edgefit.model.DType;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.OnnxModels;
import dev.edgefit.model.Tensors;
import dev.edgefit.runtime.OrtRunner;
import dev.edgefit.runtime.RunnerOptions;
import dev.edgefit.runtime.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.*;

/** Techniques rewrite weights inside If branches: Silero VAD keeps its whole network in the branches of an If on sr. */
class SubgraphsTest {

    private static ModelSnapshot legacy() {
        return OnnxModels.load(ModelCorpus.VAD_LEGACY.path());
    }

    /** v5 keeps every weight in Constant nodes inside nested Ifs; here they become initializers as model.GraphNormalizer does. */
    private static ModelSnapshot v5() {
        ModelSnapshot m = OnnxModels.load(ModelCorpus.VAD_V5.path());
        return m.derive(m.proto().toBuilder().setGraph(constantsToInitializers(m.graph())).build(), m.label());
    }

    static GraphProto constantsToInitializers(GraphProto g) {
        GraphProto.Builder gb = g.toBuilder().clearNode();
        for (NodeProto n : g.getNodeList()) {
            AttributeProto value = n.getAttributeList().stream().filter(a -> a.getName().equals("value") && a.hasT()).findFirst().orElse(null);
            if (n.getOpType().equals("Constant") && value != null && n.getDomain().isEmpty()) {
                gb.addInitializer(value.getT().toBuilder().setName(n.getOutput(0)));
                continue;
            }
            NodeProto.Builder nb = n.toBuilder();
            for (int i = 0; i < nb.getAttributeCount(); i++) {
                AttributeProto a = nb.getAttribute(i);
                if (a.hasG()) {
                    nb.setAttribute(i, a.toBuilder().setG(constantsToInitializers(a.getG())));
                }
            }
            gb.addNode(nb);
        }
        return gb.build();
    }

    /** sr 16000, one frame of 512 samples of noise, zero state (legacy: h and c [2,1,64]; v5: state [2,1,128]). */
    private static Map<String, Tensor> inputs(boolean v5) {
        Random r = new Random(7);
        float[] frame = new float[512];
        for (int i = 0; i < frame.length; i++) {
            frame[i] = (float) (0.1 * r.nextGaussian() + 0.3 * Math.sin(i * 0.07));
        }
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("input", Tensor.of(frame, 1, 512));
        in.put("sr", Tensor.of(new long[] {16000}));
        if (v5) {
            in.put("state", Tensor.of(new float[2 * 128], 2, 1, 128));
        } else {
            in.put("h", Tensor.of(new float[2 * 64], 2, 1, 64));
            in.put("c", Tensor.of(new float[2 * 64], 2, 1, 64));
        }
        return in;
    }

    private static float[] probability(ModelSnapshot m, boolean v5) {
        try (OrtRunner r = OrtRunner.inMemory(m, RunnerOptions.DEFAULT)) {
            return r.run(inputs(v5)).get("output").floats().clone();
        }
    }

    /** Visits every node of every graph. */
    private static void nodes(GraphProto g, Consumer<NodeProto> f) {
        for (NodeProto n : g.getNodeList()) {
            f.accept(n);
            Subgraphs.of(n).forEach(sg -> nodes(sg, f));
        }
    }

    private static void initializers(GraphProto g, boolean main, Consumer<TensorProto> inSubgraph, Consumer<TensorProto> inMain) {
        g.getInitializerList().forEach(main ? inMain : inSubgraph);
        for (NodeProto n : g.getNodeList()) {
            Subgraphs.of(n).forEach(sg -> initializers(sg, false, inSubgraph, inMain));
        }
    }

    private static long count(ModelSnapshot m, String opType) {
        long[] c = new long[1];
        nodes(m.graph(), n -> c[0] += n.getOpType().equals(opType) ? 1 : 0);
        return c[0];
    }

    /** Float32 weights with at least 16 elements, anywhere in the model. */
    private static List<String> float32Weights(ModelSnapshot m) {
        List<String> out = new ArrayList<>();
        Consumer<TensorProto> f = t -> {
            if (Tensors.dtype(t) == DType.FLOAT && Tensors.elementCount(t) >= 16) {
                out.add(t.getName());
            }
        };
        initializers(m.graph(), true, f, f);
        return out;
    }

    private static void fp16WeightsEverywhere(ModelSnapshot m, boolean v5) {
        assertFalse(float32Weights(m).isEmpty(), "the model has float32 weights to start with");
        Technique t = new Fp16();
        ModelSnapshot out = t.apply(m, Params.defaults(t), TechniqueContext.of(Progress.NONE));
        assertEquals(List.of(), float32Weights(out), "every float32 weight, in every branch, is stored as float16");
        assertTrue(out.proto().getSerializedSize() < 0.6 * m.proto().getSerializedSize(),
                out.proto().getSerializedSize() + " bytes against " + m.proto().getSerializedSize());
        float[] a = probability(m, v5);
        float[] b = probability(out, v5);
        assertEquals(a[0], b[0], 0.01, "speech probability of the float16-weight model");
    }

    @Test
    void fp16WeightsReachTheLegacyVadsBranches() {
        fp16WeightsEverywhere(legacy(), false);
    }

    @Test
    void fp16WeightsReachTheV5VadsNestedBranches() {
        fp16WeightsEverywhere(v5(), true);
    }

    private static void int8ConvEverywhere(ModelSnapshot m, boolean v5) {
        assertEquals(0, count(m, "ConvInteger"));
        long convs = count(m, "Conv");
        Technique t = new Int8Dynamic();
        EdgeFitException refused = assertThrows(EdgeFitException.class, () -> t.apply(m, Params.defaults(t), TechniqueContext.of(Progress.NONE)));
        assertTrue(refused.getMessage().contains("conv=true"), refused.getMessage());
        assertTrue(refused.getMessage().contains("LSTM"), refused.getMessage());
        ModelSnapshot out = t.apply(m, Params.parse(t, Map.of("conv", "true")), TechniqueContext.of(Progress.NONE));
        assertTrue(count(out, "ConvInteger") > 0, "Conv layers inside the If branches became ConvInteger");
        assertEquals(convs, count(out, "ConvInteger") + count(out, "Conv"), "every Conv is either quantized or kept");
        assertEquals(count(m, "LSTM"), count(out, "LSTM"), "LSTM layers stay float");
        float[] a = probability(m, v5);
        float[] b = probability(out, v5);
        assertEquals(a[0], b[0], 0.1, "speech probability of the int8 model");
    }

    @Test
    void int8DynamicQuantizesConvInsideTheLegacyVadsBranches() {
        int8ConvEverywhere(legacy(), false);
    }

    @Test
    void int8DynamicQuantizesConvInsideTheV5VadsNestedBranches() {
        int8ConvEverywhere(v5(), true);
    }

    @Test
    void fusionKeepsValuesThatBranchesRead() {
        ModelSnapshot m = v5();
        Technique t = new LayerFusion();
        ModelSnapshot out;
        try {
            out = t.apply(m, Params.defaults(t), TechniqueContext.of(Progress.NONE));
        } catch (EdgeFitException e) {
            return;   // nothing to fuse is a fine answer; what matters is that a fused graph still runs
        }
        assertEquals(probability(m, true)[0], probability(out, true)[0], 1e-4);
    }
}
