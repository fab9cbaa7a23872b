package dev.edgefit.compress;

import ai.onnx.proto.OnnxMl.TensorProto;
import dev.edgefit.TestModels;
import dev.edgefit.common.Progress;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.OnnxModels;
import dev.edgefit.model.Tensors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Each stored form, made by running the technique on the sample CNN, read back and compared with the float weights it
 * stands for: every decoded value lies within one quantization step of the original (half a step where the value is
 * rounded to the nearest code), so a wrong scale, axis, zero point, bit order or layout fails.
 */
class WeightReaderTest {
    private static final List<String> LAYERS = List.of("conv1", "conv2", "dwconv", "pwconv", "fc1", "fc2");
    private static ModelSnapshot cnn;

    @BeforeAll
    static void load() {
        cnn = OnnxModels.load(TestModels.sampleCnn());
    }

    private static ModelSnapshot apply(String id, Map<String, String> params) {
        Technique t = TechniqueRegistry.get(id);
        return t.apply(cnn, Params.parse(t, params), TechniqueContext.of(Progress.NONE));
    }

    private static float[] original(String initializer) {
        return Tensors.toFloats(cnn.initializers().get(initializer));
    }

    /** w[n][k] of a [rows, cols] matrix, transposed to [cols, rows]. */
    private static float[] transpose(float[] w, int rows, int cols) {
        float[] t = new float[w.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = w[r * cols + c];
            }
        }
        return t;
    }

    /** Max |w| per channel along axis 0 of a tensor with {@code channels} rows. */
    private static float[] maxAbsPerRow(float[] w, int channels) {
        int per = w.length / channels;
        float[] m = new float[channels];
        for (int i = 0; i < w.length; i++) {
            m[i / per] = Math.max(m[i / per], Math.abs(w[i]));
        }
        return m;
    }

    @Test
    void theOriginalIsReadAsItIs() {
        assertEquals(LAYERS, WeightReader.layers(cnn));
        WeightReader.Weights w = WeightReader.read(cnn, "fc1").orElseThrow();
        assertArrayEquals(original("17Linear_weight"), w.values());
        assertArrayEquals(new long[] {128, 576}, w.shape());
        assertEquals(0, w.channelAxis(), "Gemm with transB: output channels first");
        assertEquals("float", w.form());
        assertEquals(576, w.maxDistinctPerChannel());
        assertTrue(WeightReader.read(cnn, "relu1").isEmpty());
        assertTrue(WeightReader.read(cnn, "no-such-layer").isEmpty());
    }

    @Test
    void float16WeightsWithACastAreWithinHalfAFloat16Step() {
        ModelSnapshot half = apply("fp16", Map.of());
        assertEquals(LAYERS, WeightReader.layers(half));
        WeightReader.Weights w = WeightReader.read(half, "conv2").orElseThrow();
        assertEquals("float16 + Cast to float32", w.form());
        assertHalfPrecision(original("05Conv2d_weight"), w.values());
    }

    @Test
    void wholeGraphFloat16WeightsAreWithinHalfAFloat16Step() {
        ModelSnapshot half = apply("fp16", Map.of("mode", "graph"));
        assertEquals(LAYERS, WeightReader.layers(half));
        WeightReader.Weights w = WeightReader.read(half, "fc2").orElseThrow();
        assertEquals("float16", w.form());
        assertHalfPrecision(original("19Linear_weight"), w.values());
    }

    private static void assertHalfPrecision(float[] orig, float[] got) {
        assertEquals(orig.length, got.length);
        boolean rounded = false;
        for (int i = 0; i < orig.length; i++) {
            // float16 keeps 11 significant bits: half a step is 2^-11 of the value (2^-25 in the subnormal range)
            assertEquals(orig[i], got[i], Math.abs(orig[i]) * 0x1p-11f + 0x1p-25f, "weight " + i);
            rounded |= orig[i] != got[i];
        }
        assertTrue(rounded, "the values went through float16");
    }

    @Test
    void int8StaticPerChannelIsWithinHalfAStepOfEachChannel() {
        ModelSnapshot q = apply("int8-static", Map.of("samples", "8"));
        assertEquals(LAYERS, WeightReader.layers(q));
        // fc1: Gemm with transB, weights [128, 576], channels on axis 0
        WeightReader.Weights w = WeightReader.read(q, "fc1").orElseThrow();
        assertEquals("int8 per-channel (DequantizeLinear, axis 0)", w.form());
        assertWithinHalfStep(original("17Linear_weight"), w.values(), 128, 127);
        assertTrue(w.maxDistinctPerChannel() <= 255, w.describe());
        // conv2: int8-static folds BatchNormalization into the Conv first, so the reference is the folded weight
        ModelSnapshot folded = new LayerFusion().apply(cnn, Params.defaults(new LayerFusion()), TechniqueContext.of(Progress.NONE));
        float[] conv2 = WeightReader.read(folded, "conv2").orElseThrow().values();
        WeightReader.Weights c = WeightReader.read(q, "conv2").orElseThrow();
        assertArrayEquals(new long[] {32, 16, 3, 3}, c.shape());
        assertWithinHalfStep(conv2, c.values(), 32, 127);
    }

    @Test
    void int8StaticPerTensorIsWithinHalfAStep() {
        ModelSnapshot q = apply("int8-static", Map.of("samples", "8", "per-channel", "false"));
        WeightReader.Weights w = WeightReader.read(q, "fc2").orElseThrow();
        assertEquals("int8 per-tensor (DequantizeLinear)", w.form());
        assertWithinHalfStep(original("19Linear_weight"), w.values(), 1, 127);
        assertTrue(w.distinctValues() <= 255, w.describe());
    }

    /** |w - w'| <= scale/2 with scale = max |w| of the channel / qmax, channels along axis 0. */
    private static void assertWithinHalfStep(float[] orig, float[] got, int channels, int qmax) {
        assertEquals(orig.length, got.length);
        float[] m = maxAbsPerRow(orig, channels);
        int per = orig.length / channels;
        for (int i = 0; i < orig.length; i++) {
            float scale = m[i / per] / qmax;
            assertEquals(orig[i], got[i], scale / 2 * 1.0001 + 1e-7, "weight " + i + " of channel " + i / per);
        }
    }

    @Test
    void int8DynamicMatMulIntegerAndConvIntegerAreWithinHalfAStepOfEachChannel() {
        ModelSnapshot q = apply("int8-dynamic", Map.of("conv", "true"));
        assertEquals(LAYERS, WeightReader.layers(q), "layers are found under the names of the nodes they came from");
        WeightReader.Weights w = WeightReader.read(q, "fc1").orElseThrow();
        assertEquals("fc1_quant", w.node());
        assertEquals("MatMulInteger", w.opType());
        assertArrayEquals(new long[] {576, 128}, w.shape(), "MatMulInteger stores [K, N]");
        assertEquals(1, w.channelAxis());
        // back to the Gemm's [N, K] layout, channels on axis 0
        assertWithinHalfStep(original("17Linear_weight"), transpose(w.values(), 576, 128), 128, 127);
        assertTrue(w.maxDistinctPerChannel() <= 255, w.describe());
        WeightReader.Weights c = WeightReader.read(q, "conv2").orElseThrow();
        assertEquals("ConvInteger", c.opType());
        assertWithinHalfStep(original("05Conv2d_weight"), c.values(), 32, 127);
    }

    @Test
    void int8DynamicEmbeddingTablesAreWithinHalfAStepOfEachRow() {
        ModelSnapshot fp32 = OnnxModels.load(TestModels.miniLm());
        Technique t = TechniqueRegistry.get("int8-dynamic");
        ModelSnapshot q = t.apply(fp32, Params.defaults(t), TechniqueContext.of(Progress.NONE));
        String layer = "/embeddings/word_embeddings/Gather";
        assertTrue(WeightReader.layers(fp32).contains(layer), WeightReader.layers(fp32).toString());
        assertTrue(WeightReader.layers(q).contains(layer), "the int8 table is read under the original Gather's name");
        assertEquals(WeightReader.layers(fp32), WeightReader.layers(q), "the same layers, the scales' Gather not among them");
        WeightReader.Weights before = WeightReader.read(fp32, layer).orElseThrow();
        WeightReader.Weights after = WeightReader.read(q, layer).orElseThrow();
        assertEquals("float32", before.form());
        assertEquals(layer + "_q", after.node());
        assertTrue(after.form().startsWith("int8 rows with a float16 scale per row"), after.form());
        assertArrayEquals(new long[] {30522, 384}, after.shape());
        assertEquals(0, after.channelAxis(), "a row (one token) is a channel");
        float[] orig = before.values();
        float[] m = maxAbsPerRow(orig, 30522);
        for (int i = 0; i < orig.length; i++) {
            // the row's scale is stored as float16: a step of at most max|row| / 127 x (1 + 2^-11)
            assertEquals(orig[i], after.values()[i], m[i / 384] / 127 / 2 * 1.001 + 1e-7, "weight " + i + " of row " + i / 384);
        }
        java.util.Set<Float> row0 = new java.util.HashSet<>();
        for (int i = 0; i < 384; i++) {
            row0.add(after.values()[i]);
        }
        assertTrue(row0.size() <= 255, "one row takes at most 255 int8 levels: " + row0.size());
    }

    @Test
    void int8DynamicPerTensorIsWithinHalfAStep() {
        ModelSnapshot q = apply("int8-dynamic", Map.of("per-channel", "false"));
        WeightReader.Weights w = WeightReader.read(q, "fc2").orElseThrow();
        assertTrue(w.form().startsWith("int8 per-tensor (MatMulInteger"), w.form());
        assertWithinHalfStep(transpose(original("19Linear_weight"), 10, 128), w.values(), 1, 127);
    }

    @Test
    void int4BlocksAreWithinOneStepOfTheirBlock() {
        for (boolean symmetric : new boolean[] {true, false}) {
            ModelSnapshot q = apply("int4", Map.of("block-size", "32", "symmetric", "" + symmetric));
            assertEquals(LAYERS, WeightReader.layers(q));
            WeightReader.Weights w = WeightReader.read(q, "fc1").orElseThrow();
            assertEquals("fc1_Q4", w.node());
            assertArrayEquals(new long[] {576, 128}, w.shape());
            assertTrue(w.form().contains(symmetric ? "symmetric" : "zero point"), w.form());
            float[] orig = original("17Linear_weight");          // [N=128, K=576]
            float[] got = transpose(w.values(), 576, 128);        // back to [N, K]
            double worst = 0;
            for (int n = 0; n < 128; n++) {
                for (int b = 0; b < 576 / 32; b++) {
                    float lo = 0;
                    float hi = 0;
                    for (int j = 0; j < 32; j++) {
                        float v = orig[n * 576 + b * 32 + j];
                        lo = Math.min(lo, v);
                        hi = Math.max(hi, v);
                    }
                    // one step of the block: 16 levels over its range (symmetric: the largest magnitude is level -8)
                    float step = symmetric ? Math.max(-lo, hi) / 8 : (hi - lo) / 15;
                    java.util.Set<Float> levels = new java.util.HashSet<>();
                    for (int j = 0; j < 32; j++) {
                        int i = n * 576 + b * 32 + j;
                        assertEquals(orig[i], got[i], step * 1.0001 + 1e-7, "weight " + j + " of block " + b + ", column " + n);
                        worst = Math.max(worst, Math.abs(orig[i] - got[i]) / step);
                        levels.add(got[i]);
                    }
                    assertTrue(levels.size() <= 16, "a block has at most 16 values: " + levels.size());
                }
            }
            assertTrue(worst > 0.3, "the weights were rounded to 4 bits: worst error " + worst + " steps");
        }
    }

    @Test
    void binaryWeightsAreTheSignTimesTheChannelScale() {
        ModelSnapshot b = apply("binary", Map.of());
        assertEquals(LAYERS, WeightReader.layers(b));
        for (String[] layer : new String[][] {{"pwconv", "12Conv2d_weight"}, {"fc1", "17Linear_weight"}}) {
            TensorProto t = cnn.initializers().get(layer[1]);
            float[] orig = Tensors.toFloats(t);
            int channels = (int) t.getDims(0);
            WeightReader.Weights w = WeightReader.read(b, layer[0]).orElseThrow();
            assertTrue(w.form().startsWith("binary"), w.form());
            assertEquals(0, w.channelAxis(), layer[0]);
            assertEquals(2, w.maxDistinctPerChannel(), layer[0] + ": +alpha and -alpha");
            float[] alpha = BinaryWeights.alphas(orig, Tensors.dims(t), 0);
            int per = orig.length / channels;
            for (int i = 0; i < orig.length; i++) {
                float a = alpha[i / per];
                assertEquals(orig[i] >= 0 ? a : -a, w.values()[i], 1e-6f * Math.max(1, a), layer[0] + " weight " + i);
                // within one step (2 alpha) of the original wherever the original is within alpha of +-alpha
                if (Math.abs(orig[i]) <= 2 * a) {
                    assertEquals(orig[i], w.values()[i], 2 * a + 1e-6f);
                }
            }
        }
        // dwconv (288 weights) is under binary's min-elements, and conv2 and fc2 are the first and last layers it keeps
        for (String kept : List.of("dwconv", "conv2", "fc2")) {
            assertEquals("float", WeightReader.read(b, kept).orElseThrow().form(), kept);
        }
    }

    @Test
    void distinctValuesPerChannelAreCountedAlongTheChannelAxis() {
        WeightReader.Weights w = new WeightReader.Weights("l", "l", "MatMul", "test", new long[] {3, 2}, 1,
                new float[] {1, 5, 2, 5, 1, 5});
        assertEquals(2, w.channels());
        assertEquals(2, w.maxDistinctPerChannel(), "column 0 holds 1, 2, 1; column 1 holds 5, 5, 5");
        assertEquals(3, w.distinctValues());
        assertTrue(w.describe().contains("at most 2 distinct values per output channel (2 channels), 3 distinct values in 6 weights"), w.describe());
        assertEquals(4, WeightReader.broadcastIndex(new long[] {2, 3, 5}, new long[] {3, 5}, 19), "element (1, 0, 4) of [3, 5] is 4");
        assertEquals(1, WeightReader.broadcastIndex(new long[] {4, 2, 3, 3}, new long[] {2, 1, 1}, 14), "element (0, 1, 1, 2) is channel 1");
    }
}
