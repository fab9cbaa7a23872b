package dev.edgefit.data;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import dev.edgefit.ModelCorpus;
import dev.edgefit.TestModels;
import dev.edgefit.common.EdgeFitException;
import dev.edgefit.model.DType;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.OnnxModels;
import dev.edgefit.model.ValueInfos;
import dev.edgefit.runtime.OrtRunner;
import dev.edgefit.runtime.RunnerOptions;
import dev.edgefit.runtime.Tensor;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Inputs generated from signatures, run in ONNX Runtime: the shapes and values a real model accepts. */
public class InputGeneratorTest {
    private static final String[] TYPED = {"image", "q", "half", "flag", "count"};

    /**
     * A model with one input of each of uint8 [N,3,8,8] (an image), int8, float16, bool and int32 (the last two [N,1,1,1]),
     * each Cast to float and added: y [N,3,8,8].
     */
    public static ModelSnapshot typedModel() {
        DType[] types = {DType.UINT8, DType.INT8, DType.FLOAT16, DType.BOOL, DType.INT32};
        GraphProto.Builder g = GraphProto.newBuilder().setName("typed");
        String sum = null;
        for (int i = 0; i < TYPED.length; i++) {
            long[] shape = i < 3 ? new long[] {-1, 3, 8, 8} : new long[] {-1, 1, 1, 1};
            g.addInput(ValueInfos.of(TYPED[i], types[i], shape, List.of("N", "", "", "")));
            g.addNode(NodeProto.newBuilder().setOpType("Cast").addInput(TYPED[i]).addOutput(TYPED[i] + "_f").setName("cast_" + TYPED[i])
                    .addAttribute(AttributeProto.newBuilder().setName("to").setType(AttributeProto.AttributeType.INT).setI(DType.FLOAT.onnxCode())));
            if (sum == null) {
                sum = TYPED[i] + "_f";
            } else {
                String out = i == TYPED.length - 1 ? "y" : "sum" + i;
                g.addNode(NodeProto.newBuilder().setOpType("Add").addInput(sum).addInput(TYPED[i] + "_f").addOutput(out).setName("add" + i));
                sum = out;
            }
        }
        g.addOutput(ValueInfos.of("y", DType.FLOAT, new long[] {-1, 3, 8, 8}, List.of("N", "", "", "")));
        ModelProto m = ModelProto.newBuilder().setIrVersion(8).setProducerName("test")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(13)).setGraph(g).build();
        return new ModelSnapshot(m, null, "typed.onnx");
    }

    public static Path typedModelFile() {
        Path f = TestModels.tempDir("typed").resolve("typed.onnx");
        OnnxModels.save(typedModel(), f);
        return f;
    }

    private static Map<String, Tensor> run(Path model, Map<String, Tensor> in) {
        try (OrtRunner r = new OrtRunner(model, RunnerOptions.DEFAULT)) {
            return r.run(in);
        }
    }

    @Test
    void sileroVadLegacyRunsOnGeneratedInputs() {
        Path f = ModelCorpus.VAD_LEGACY.path();
        ModelSnapshot m = OnnxModels.load(f);
        Map<String, Tensor> in = new InputGenerator(m, InputOverrides.NONE).generate(3);
        assertArrayEquals(new long[] {1, 512}, in.get("input").shape(), "32 ms at 16 kHz, batch 1");
        assertArrayEquals(new long[] {}, in.get("sr").shape());
        assertArrayEquals(new long[] {16_000}, (long[]) in.get("sr").data());
        for (String s : new String[] {"h", "c"}) {
            assertArrayEquals(new long[] {2, 1, 64}, in.get(s).shape(), s + " takes the batch of 'input' (dimension 'batch')");
            for (float v : in.get(s).floats()) {
                assertEquals(0f, v, s + " starts as zeros");
            }
        }
        Map<String, Tensor> out = run(f, in);
        assertArrayEquals(new long[] {1, 1}, out.get("output").shape());
        float p = out.get("output").floats()[0];
        assertTrue(p >= 0 && p <= 1, "a speech probability: " + p);

        // a batch of 2 given for 'input' reaches h and c through the dimension name they share
        Map<String, Tensor> two = new InputGenerator(m, InputOverrides.ofShapes(Map.of("input", new long[] {2, 512}))).generate(3);
        assertArrayEquals(new long[] {2, 2, 64}, two.get("h").shape());
        assertArrayEquals(new long[] {2, 1}, run(f, two).get("output").shape());
    }

    @Test
    void sileroVadV5RunsAndTheSampleRateChangesTheWindowAndTheOutput() {
        Path f = ModelCorpus.VAD_V5.path();
        ModelSnapshot m = OnnxModels.load(f);
        Map<String, Tensor> in = new InputGenerator(m, InputOverrides.NONE).generate(3);
        assertArrayEquals(new long[] {1, 512}, in.get("input").shape());
        assertArrayEquals(new long[] {2, 1, 128}, in.get("state").shape(), "the unnamed state axis takes the batch, not 128");
        float p16 = run(f, in).get("output").floats()[0];

        InputOverrides sr8 = InputOverrides.parse(List.of(), List.of("sr=8000"));
        Map<String, Tensor> in8 = new InputGenerator(m, sr8).generate(3);
        assertArrayEquals(new long[] {8000}, (long[]) in8.get("sr").data());
        assertArrayEquals(new long[] {1, 256}, in8.get("input").shape(), "32 ms at 8 kHz");
        float p8 = run(f, in8).get("output").floats()[0];
        assertNotEquals(p16, p8, "the 8 kHz branch gives another output");

        // a batch of 3 reaches the state's unnamed axis
        Map<String, Tensor> three = new InputGenerator(m, InputOverrides.ofShapes(Map.of("input", new long[] {3, 512}))).generate(3);
        assertArrayEquals(new long[] {2, 3, 128}, three.get("state").shape());
    }

    @Test
    void aValueFromANpyFileReplacesTheGeneratedOneAndFixesItsShape() throws Exception {
        Path f = ModelCorpus.VAD_V5.path();
        ModelSnapshot m = OnnxModels.load(f);
        float[] silence = new float[512];
        Path npy = NpyTest.writeFloats(TestModels.tempDir("npyin").resolve("silence.npy"), new long[] {1, 512}, silence);
        InputOverrides o = InputOverrides.parse(List.of(), List.of("input=" + npy));
        Map<String, Tensor> in = new InputGenerator(m, o).generate(3);
        assertArrayEquals(silence, in.get("input").floats());
        float quiet = run(f, in).get("output").floats()[0];
        float noise = run(f, new InputGenerator(m, InputOverrides.NONE).generate(3)).get("output").floats()[0];
        assertNotEquals(noise, quiet);
        assertEquals(in.get("input"), new InputGenerator(m, o).generate(99).get("input"), "a fixed value does not depend on the seed");
    }

    @Test
    void uint8Int8Float16BoolAndInt32InputsAreGeneratedAndRun() {
        ModelSnapshot m = typedModel();
        InputGenerator gen = new InputGenerator(m, InputOverrides.NONE);
        Map<String, Tensor> in = gen.generate(5);
        assertEquals(DType.UINT8, in.get("image").dtype());
        assertArrayEquals(new long[] {1, 3, 8, 8}, in.get("image").shape());
        float[] img = in.get("image").floats();
        float lo = Float.MAX_VALUE;
        float hi = -Float.MAX_VALUE;
        for (float v : img) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        assertTrue(lo >= 0 && hi <= 255 && hi - lo > 128, "image-like 0..255: " + lo + ".." + hi);
        assertTrue(java.util.stream.IntStream.range(0, 192).anyMatch(i -> in.get("q").floats()[i] < 0), "int8 takes negative values");
        assertEquals(DType.FLOAT16, in.get("half").dtype());
        assertEquals(DType.BOOL, in.get("flag").dtype());
        assertEquals(DType.INT32, in.get("count").dtype());
        assertEquals(in, gen.generate(5), "deterministic for a seed");
        assertNotEquals(in.get("image"), gen.generate(6).get("image"));

        Path file = typedModelFile();
        Tensor y = run(file, in).get("y");
        assertArrayEquals(new long[] {1, 3, 8, 8}, y.shape());
        float[] want = new float[192];
        for (int i = 0; i < 192; i++) {
            want[i] = in.get("image").floats()[i] + in.get("q").floats()[i] + in.get("half").floats()[i] + in.get("flag").floats()[0]
                    + in.get("count").floats()[0];
        }
        assertArrayEquals(want, y.floats(), 1e-3f, "ONNX Runtime read each type as it was given");

        // numbers fill inputs of every type, converted to it
        Map<String, Tensor> fixed = new InputGenerator(m, InputOverrides.parse(List.of("image=2x3x8x8"),
                List.of("image=200", "q=-3", "half=0.5", "flag=false", "count=7"))).generate(1);
        assertArrayEquals(new long[] {2, 1, 1, 1}, fixed.get("count").shape(), "N given for 'image' reaches the others");
        float[] y2 = run(file, fixed).get("y").floats();
        assertEquals(2 * 192, y2.length);
        for (float v : y2) {
            assertEquals(200 - 3 + 0.5f + 0 + 7, v, 1e-3f);
        }
    }

    @Test
    void theSampleCnnAndMiniLmKeepTheirShapesAndValues() {
        ModelSnapshot cnn = OnnxModels.load(TestModels.sampleCnn());
        Tensor x = new InputGenerator(cnn, Map.of()).generate(0).get("input");
        assertArrayEquals(new long[] {1, 1, 28, 28}, x.shape());
        assertEquals((float) new java.util.Random(0).nextGaussian(), x.floats()[0], "standard normal noise, as before");

        ModelSnapshot lm = OnnxModels.load(TestModels.miniLm());
        Map<String, Tensor> in = new InputGenerator(lm, InputOverrides.NONE).generate(0);
        for (String n : List.of("input_ids", "attention_mask", "token_type_ids")) {
            assertArrayEquals(new long[] {1, 128}, in.get(n).shape(), n);
        }
        long[] ids = (long[]) in.get("input_ids").data();
        assertTrue(java.util.Arrays.stream(ids).allMatch(v -> v >= 0 && v < 30_522) && java.util.Arrays.stream(ids).distinct().count() > 50);
        assertTrue(java.util.Arrays.stream((long[]) in.get("attention_mask").data()).allMatch(v -> v == 1));
        assertTrue(java.util.Arrays.stream((long[]) in.get("token_type_ids").data()).allMatch(v -> v == 0));
        // one --shape fixes the sequence of all three through the names they share
        Map<String, Tensor> s64 = new InputGenerator(lm, Map.of("input_ids", new long[] {1, 64})).generate(0);
        assertArrayEquals(new long[] {1, 64}, s64.get("attention_mask").shape());
    }

    @Test
    void badValuesAreOneSentenceNamingTheInput() throws Exception {
        ModelSnapshot m = typedModel();
        assertBad(() -> new InputGenerator(m, InputOverrides.parse(List.of(), List.of("nope=1"))), "no input named 'nope'");
        assertBad(() -> InputOverrides.parse(List.of(), List.of("count=seven")), "'seven' is neither a number nor a .npy file");
        assertBad(() -> new InputGenerator(m, InputOverrides.parse(List.of(), List.of("image=256"))), "uint8", "0 to 255", "256");
        assertBad(() -> new InputGenerator(m, InputOverrides.parse(List.of(), List.of("count=1.5"))), "whole numbers", "1.5");
        Path wrong = NpyTest.writeFloats(TestModels.tempDir("npybad").resolve("wrong.npy"), new long[] {1, 4, 8, 8}, new float[256]);
        assertBad(() -> new InputGenerator(m, InputOverrides.parse(List.of(), List.of("half=" + wrong))), "fixed size 3 at axis 1",
                "wrong.npy");
        assertBad(() -> InputOverrides.parse(List.of(), List.of("half=" + wrong.resolveSibling("absent.npy"))), "--input half",
                "absent.npy: does not exist");
        Path ranks = NpyTest.writeFloats(TestModels.tempDir("npybad").resolve("ranks.npy"), new long[] {3, 8, 8}, new float[192]);
        assertBad(() -> new InputGenerator(m, InputOverrides.parse(List.of(), List.of("half=" + ranks))), "4 dimensions", "has 3");
    }

    private static void assertBad(org.junit.jupiter.api.function.Executable e, String... fragments) {
        EdgeFitException x = assertThrows(EdgeFitException.class, e);
        assertEquals(EdgeFitException.Kind.BAD_PARAMETER, x.kind(), x.getMessage());
        assertEquals(1, x.getMessage().lines().count(), x.getMessage());
        for (String f : fragments) {
            assertTrue(x.getMessage().contains(f), "'" + f + "' in: " + x.getMessage());
        }
    }
}
