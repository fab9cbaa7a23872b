package dev.edgefit.eval;

import dev.edgefit.common.EdgeFitException;
import dev.edgefit.runtime.Tensor;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class FidelityTest {

    @Test
    void handComputedClassifierRows() {
        Fidelity.Accumulator acc = new Fidelity.Accumulator();
        // two inferences of a 3-class classifier: identical, then argmax moved (ref (1,0,0), out (0,1,0): cosine 0)
        acc.add(Map.of("logits", Tensor.of(new float[] {1, 2, 3}, 1, 3)), Map.of("logits", Tensor.of(new float[] {1, 2, 3}, 1, 3)));
        acc.add(Map.of("logits", Tensor.of(new float[] {0, 1, 0}, 1, 3)), Map.of("logits", Tensor.of(new float[] {1, 0, 0}, 1, 3)));
        Fidelity f = acc.result();
        assertEquals(0.5, f.top1Agreement(), 1e-12);
        assertEquals(0.5, f.meanCosine(), 1e-12);
        // signal = 1+4+9+1 = 15, noise = 1+1 = 2 (the floor, 6 values x (1e-3 x 3)^2, is far below)
        assertEquals(10 * Math.log10(15.0 / 2.0), f.sqnrDb(), 1e-9);
        assertEquals(Math.sqrt(2.0 / 15.0), f.relL2(), 1e-12);
        assertEquals(1.0, f.maxAbsDiff(), 0);
        assertEquals(2, f.samples());
        OutputFidelity o = f.output("logits");
        assertEquals(2.0 / 6, o.meanAbsDiff(), 1e-12);
        assertFalse(o.nearZero());
        assertEquals("logits", f.worstOutput());
    }

    @Test
    void identicalOutputsHaveInfiniteSqnr() {
        Fidelity.Accumulator acc = new Fidelity.Accumulator();
        acc.add(new float[] {0.5f, -2f}, new float[] {0.5f, -2f}, 2);
        assertEquals(Double.POSITIVE_INFINITY, acc.result().sqnrDb());
        assertEquals(0, acc.result().relL2());
        assertEquals(1.0, acc.result().meanCosine(), 1e-12);
    }

    @Test
    void aSingleProbabilityHasNoCosineAndNoTop1() {
        // a wake-word head: [1,1]; the old per-row reading gave cosine 1 and top-1 1 whatever the value
        Fidelity.Accumulator acc = new Fidelity.Accumulator();
        float[][] ref = {{0.9988f}, {0.0817f}, {0.9987f}};
        float[][] out = {{0.02f}, {0.95f}, {0.5f}};
        for (int i = 0; i < ref.length; i++) {
            acc.add(Map.of("39", Tensor.of(out[i], 1, 1)), Map.of("39", Tensor.of(ref[i], 1, 1)));
        }
        Fidelity f = acc.result();
        assertNull(f.meanCosine(), "a cosine of one value is only its sign");
        assertNull(f.top1Agreement(), "no class axis");
        assertNull(f.output("39").cosine());
        assertNull(f.output("39").top1());
        assertTrue(f.sqnrDb() < 3, "the probabilities are wrong: " + f.sqnrDb());
        assertTrue(f.relL2() > 0.9, "relative error " + f.relL2());
        Acceptance.Decision d = Acceptance.forSteps().judge(null, null, f);
        assertFalse(d.passed(), d.text());
        assertEquals("sqnrDb", d.decidedBy());
    }

    @Test
    void aNoisyScoreColumnDropsSqnrWhereRowsOfOneReadPerfect() {
        // a detector's scores [1,512,1] and a copy scaled at random by 0..3: noise of about the signal's size, signs kept
        Random r = new Random(7);
        float[] ref = new float[512];
        float[] out = new float[512];
        for (int i = 0; i < ref.length; i++) {
            ref[i] = (float) (3.5 + r.nextGaussian());
            out[i] = ref[i] * (float) (3 * r.nextDouble());
        }
        // the old reading: rows of length 1 (the last axis) have cosine 1 (same sign) and the same argmax (their only value)
        assertEquals(1.0, oldRowCosine(out, ref, 1), 1e-12, "what the per-row reading said");
        Fidelity.Accumulator acc = new Fidelity.Accumulator();
        acc.add(Map.of("Identity:0", Tensor.of(out, 1, 512, 1)), Map.of("Identity:0", Tensor.of(ref, 1, 512, 1)));
        Fidelity f = acc.result();
        assertNull(f.top1Agreement(), "a last axis of 1 is no class axis");
        OutputFidelity o = f.output("Identity:0");
        assertNotNull(o.cosine(), "512 values per inference: the cosine of the whole tensor");
        assertTrue(o.cosine() < 0.95, "cosine over the tensor " + o.cosine());
        assertTrue(o.sqnrDb() < 3 && o.relL2() > 0.7, o.toString());
        assertFalse(Acceptance.forSteps().judge(null, null, f).passed());
    }

    @Test
    void aNearZeroOutputWithATinyChangeIsNotFlagged() {
        // an OCR map where random inputs find no text: values about 1e-5, many exactly 0; every value changed by 1e-5
        Random r = new Random(3);
        float[] ref = new float[320 * 320];
        float[] out = new float[ref.length];
        for (int i = 0; i < ref.length; i++) {
            ref[i] = i % 7 == 0 ? 0f : (float) (1e-5 * Math.abs(r.nextGaussian()));
            out[i] = ref[i] + 1e-5f;
        }
        Fidelity.Accumulator acc = new Fidelity.Accumulator();
        acc.add(Map.of("map", Tensor.of(out, 1, 1, 320, 320)), Map.of("map", Tensor.of(ref, 1, 1, 320, 320)));
        Fidelity f = acc.result();
        OutputFidelity o = f.output("map");
        assertTrue(o.nearZero(), "judged against the noise floor");
        assertNull(o.cosine(), "the direction of a near-zero map means nothing");
        assertNull(o.top1(), "nor the argmax of its rows");
        assertTrue(o.sqnrDb() > 35, "a 1e-5 change against the floor 1e-3: " + o.sqnrDb());
        assertTrue(Acceptance.forExports().judge(null, null, f).passed());
        // against its own tiny energy the same change would read as a disaster
        double signal = 0;
        double noise = 0;
        for (int i = 0; i < ref.length; i++) {
            signal += (double) ref[i] * ref[i];
            noise += ((double) out[i] - ref[i]) * ((double) out[i] - ref[i]);
        }
        assertTrue(10 * Math.log10(signal / noise) < 3, "raw SQNR " + 10 * Math.log10(signal / noise));

        // the same map changed by about its own peak is flagged: the floor does not hide real damage
        float[] bad = ref.clone();
        for (int i = 0; i < bad.length; i += 2) {
            bad[i] = 0.3f;
        }
        Fidelity.Accumulator acc2 = new Fidelity.Accumulator();
        acc2.add(Map.of("map", Tensor.of(bad, 1, 1, 320, 320)), Map.of("map", Tensor.of(ref, 1, 1, 320, 320)));
        assertFalse(Acceptance.forExports().judge(null, null, acc2.result()).passed());
    }

    @Test
    void everyOutputIsComparedAndTheWorstDecides() {
        float[] logits = {1, 5, 2, 0};
        float[] boxes = new float[64];
        float[] badBoxes = new float[64];
        for (int i = 0; i < boxes.length; i++) {
            boxes[i] = 10 + i;
            badBoxes[i] = -(10 + i);
        }
        Map<String, Tensor> ref = new LinkedHashMap<>();
        ref.put("logits", Tensor.of(logits, 1, 4));
        ref.put("boxes", Tensor.of(boxes, 1, 16, 4));
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put("boxes", Tensor.of(badBoxes, 1, 16, 4)); // another order: paired by name
        out.put("logits", Tensor.of(logits.clone(), 1, 4));
        Fidelity.Accumulator acc = new Fidelity.Accumulator();
        acc.add(out, ref);
        Fidelity f = acc.result();
        assertEquals(2, f.outputs().size());
        assertEquals(Double.POSITIVE_INFINITY, f.output("logits").sqnrDb(), "the first output is exact");
        assertEquals(1.0, f.output("logits").top1());
        assertEquals("boxes", f.worstOutput());
        assertEquals(f.output("boxes").sqnrDb(), f.sqnrDb());
        assertEquals(-1.0, f.output("boxes").cosine(), 1e-9);
        assertEquals(-1.0, f.meanCosine(), 1e-9, "the lowest cosine of any output");
        Acceptance.Decision d = Acceptance.forSteps().judge(null, null, f);
        assertFalse(d.passed());
        assertTrue(d.text().contains("worst output 'boxes'"), d.text());

        Map<String, Tensor> missing = Map.of("logits", Tensor.of(logits, 1, 4));
        assertThrows(EdgeFitException.class, () -> new Fidelity.Accumulator().add(missing, ref), "outputs that cannot be paired");
    }

    @Test
    void aNanOutputIsUnboundedNoise() {
        Fidelity.Accumulator acc = new Fidelity.Accumulator();
        acc.add(new float[] {1, Float.NaN, 3}, new float[] {1, 2, 3}, 3);
        Fidelity f = acc.result();
        assertEquals(Double.NEGATIVE_INFINITY, f.sqnrDb());
        assertFalse(Acceptance.forSteps().judge(null, null, f).passed());
        assertFalse(new Acceptance(java.util.List.of(new Acceptance.Criterion(Acceptance.Metric.REL_L2, 0.5))).judge(null, null, f).passed());
    }

    @Test
    void accuracyDecidesFirstAndRulesReadAndWriteAsText() {
        Fidelity.Accumulator acc = new Fidelity.Accumulator();
        acc.add(new float[] {1, 2, 3}, new float[] {1, 2, 3.1f}, 3);
        Fidelity f = acc.result();
        Acceptance rule = Acceptance.forSteps();
        assertEquals("accuracy>=0.95,sqnrDb>=10", rule.text());
        Acceptance.Decision byAccuracy = rule.judge(0.80, 0.90, f);
        assertEquals("accuracy", byAccuracy.decidedBy());
        assertFalse(byAccuracy.passed(), "0.80 / 0.90 = 0.889 < 0.95 although the outputs are close");
        assertEquals(0.8 / 0.9, byAccuracy.value(), 1e-12);
        assertEquals("sqnrDb", rule.judge(null, null, f).decidedBy(), "no labels: the fidelity figure decides");

        Acceptance parsed = Acceptance.parse(" sqnrDb>=20 , relL2<=0.1,top1>=0.98", Acceptance.NONE);
        assertEquals("sqnrDb>=20,relL2<=0.1,top1>=0.98", parsed.text());
        assertEquals(parsed, Acceptance.parse(parsed.text(), Acceptance.NONE));
        assertSame(Acceptance.NONE, Acceptance.parse("none", rule));
        assertSame(rule, Acceptance.parse("auto", rule));
        assertTrue(Acceptance.NONE.judge(0.1, 0.9, f).passed());
        for (String bad : new String[] {"relL2>=0.1", "sqnr>=20", "accuracy>=1.5", "top1", "cosine>=x"}) {
            assertThrows(EdgeFitException.class, () -> Acceptance.parse(bad, rule), bad);
        }

        // top-1 applies only where an output has a class axis; without one the next criterion decides
        Fidelity.Accumulator one = new Fidelity.Accumulator();
        one.add(Map.of("p", Tensor.of(new float[] {0.5f}, 1, 1)), Map.of("p", Tensor.of(new float[] {0.6f}, 1, 1)));
        Acceptance.Decision d = Acceptance.parse("top1>=0.98,relL2<=0.05", rule).judge(null, null, one.result());
        assertEquals("relL2", d.decidedBy());
        assertFalse(d.passed(), d.text());
    }

    /** The mean row cosine along the last axis, as Fidelity measured before every output was compared. */
    private static double oldRowCosine(float[] out, float[] ref, int rl) {
        double sum = 0;
        int rows = 0;
        for (int s = 0; s + rl <= out.length; s += rl) {
            double dot = 0;
            double na = 0;
            double nb = 0;
            for (int i = s; i < s + rl; i++) {
                dot += (double) out[i] * ref[i];
                na += (double) out[i] * out[i];
                nb += (double) ref[i] * ref[i];
            }
            sum += dot / Math.sqrt(na * nb);
            rows++;
        }
        return sum / rows;
    }

    @Test
    void latencyPercentilesAreNearestRank() {
        double[] ms = new double[100];
        for (int i = 0; i < 100; i++) {
            ms[i] = 100 - i; // 100..1, unsorted
        }
        Latency l = Latency.of(ms, 2);
        assertEquals(50, l.p50());
        assertEquals(90, l.p90());
        assertEquals(99, l.p99());
        assertEquals(1, l.min());
        assertEquals(50.5, l.mean(), 1e-12);
        assertEquals(100, l.runs());
    }
}
