package dev.edgefit.model;

import dev.edgefit.ModelCorpus;
import dev.edgefit.TestModels;
import dev.edgefit.data.InputGenerator;
import dev.edgefit.runtime.ShapeProbe;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class ModelStatsTest {

    @Test
    void miniLmParametersAndMacsMatchTheArchitecture() {
        ModelSnapshot m = OnnxModels.load(TestModels.miniLm());
        var gen = new InputGenerator(m, Map.of());
        Map<String, long[]> shapes = ShapeProbe.probe(m, gen.generate(1));
        ModelStats s = ModelStats.compute(m, shapes);
        // BERT-style encoder, hidden 384, 6 layers, FFN 1536, vocabulary 30522, 512 positions, 2 token types:
        long h = 384, ffn = 1536, layers = 6;
        long embeddings = 30522 * h + 512 * h + 2 * h + 2 * h;                 // word, position, type, LayerNorm
        long perLayer = 4 * (h * h + h) + (h * ffn + ffn) + (ffn * h + h) + 2 * 2 * h;
        // plus 52 scalar float Constant nodes (attention scale, GELU and LayerNorm constants; initializers once loaded), which count too
        long expected = embeddings + layers * perLayer + 52;
        assertEquals(22_565_428L, expected);
        assertEquals(expected, s.parameters(), "all-MiniLM-L6-v2 has " + expected + " float parameters");
        // sequence 128: per layer Q,K,V,O (4*128*384*384) + FFN (2*128*384*1536) + attention (2*128*128*384)
        long seq = 128;
        long macsPerLayer = 4 * seq * h * h + 2 * seq * h * ffn + 2 * seq * seq * h;
        assertEquals(layers * macsPerLayer, s.macs().longValue());
        assertTrue(s.macsComplete());
        assertEquals((int) (layers * 6 + layers * 2), s.opHistogram().get("MatMul").intValue());
    }

    @Test
    void sampleCnnParametersAndMacsByHand() {
        ModelSnapshot m = OnnxModels.load(TestModels.sampleCnn());
        ModelStats s = ModelStats.compute(m, ShapeProbe.probe(m, new InputGenerator(m, Map.of()).generate(1)));
        long conv1 = 16 * 9 + 16;
        long conv2 = 32 * 16 * 9 + 32;
        long dw = 32 * 9 + 32;
        long pw = 64 * 32 + 64;
        long bn = 4 * (16 + 32 + 32 + 64);       // gamma, beta, mean, var per channel
        long fc1 = 576 * 128 + 128;
        long fc2 = 128 * 10 + 10;
        assertEquals(conv1 + conv2 + dw + pw + bn + fc1 + fc2, s.parameters());
        assertEquals(82_954L, s.parameters());
        long macs = 16L * 28 * 28 * 9 + 32L * 14 * 14 * 16 * 9 + 32L * 7 * 7 * 9 + 64L * 7 * 7 * 32 + 576 * 128 + 128 * 10;
        assertEquals(macs, s.macs().longValue());
        assertEquals(4, s.opHistogram().get("Conv").intValue());
        assertEquals(2, s.opHistogram().get("Gemm").intValue());
        assertEquals(s.parameters() * 4, s.weightBytes(), "every weight is float32");
    }

    @Test
    void sileroVadWeightsAndMacsInsideIfBranchesAreCounted() {
        ModelSnapshot legacy = OnnxModels.load(ModelCorpus.VAD_LEGACY.path());
        ModelStats s = ModelStats.compute(legacy, ShapeProbe.probe(legacy, GraphNormalizerTest.vadLegacyInputs()));
        // the 16 kHz and the 8 kHz model are both stored (If on sr); every weight the branches read counts
        long stored = 0;
        for (var t : legacy.initializers().values()) {
            stored += Tensors.dtype(t).isFloatingPoint() ? Tensors.elementCount(t) : 0;
        }
        assertTrue(s.parameters() >= stored, s.parameters() + " >= " + stored);
        assertTrue(s.parameters() > 200_000 && s.parameters() < 2_000_000, "parameters " + s.parameters());
        assertTrue(s.weightBytes() >= 4 * stored);
        ModelStats.Layer ifLayer = s.layers().stream().filter(l -> l.opType().equals("If")).findFirst().orElseThrow();
        assertEquals(s.parameters(), ifLayer.parameters(), "the weights sit in the If's branches");
        assertNotNull(s.macs(), "the branch that runs for sr=16000 is measured");
        // at least its STFT convolution (258 filters of 256 taps over 8 frames) and two LSTM layers (4 gates x 64 x (64 + 64))
        assertTrue(s.macs() >= 258L * 256 * 8 + 2L * 4 * 64 * 128, "MACs " + s.macs());
        assertEquals(s.macs(), ifLayer.macs());

        // 8 kHz takes the other branch: a different, smaller model
        ModelStats s8 = ModelStats.compute(legacy, ShapeProbe.probe(legacy, withSr(GraphNormalizerTest.vadLegacyInputs(), 8000)));
        assertNotNull(s8.macs());
        assertNotEquals(s.macs(), s8.macs());
        assertEquals(s.parameters(), s8.parameters());

        ModelSnapshot v5 = OnnxModels.load(ModelCorpus.VAD_V5.path());
        ModelStats s5 = ModelStats.compute(v5, ShapeProbe.probe(v5, GraphNormalizerTest.vadV5Inputs()));
        assertTrue(s5.parameters() > 200_000, "parameters " + s5.parameters());
        assertNotNull(s5.macs(), "nested branches are measured");
        // at least its STFT convolution (258 x 256 taps over 3 frames) and one LSTM step (4 gates x 128 x (128 + 128))
        assertTrue(s5.macs() >= 258L * 256 * 3 + 4L * 128 * 256, "MACs " + s5.macs());
        assertTrue(s5.opHistogram().containsKey("If"));

        // without measured shapes the MACs are not measured, never 0
        ModelStats none = ModelStats.compute(legacy, Map.of());
        assertNull(none.macs());
        assertFalse(none.macsComplete());
        assertEquals(s.parameters(), none.parameters());
    }

    private static Map<String, dev.edgefit.runtime.Tensor> withSr(Map<String, dev.edgefit.runtime.Tensor> in, long sr) {
        Map<String, dev.edgefit.runtime.Tensor> m = new java.util.HashMap<>(in);
        m.put("sr", dev.edgefit.runtime.Tensor.of(new long[] {sr}));
        return m;
    }
}
