package dev.edgefit.eval;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class FidelityTest {

    @Test
    void handComputedRows() {
        Fidelity.Accumulator acc = new Fidelity.Accumulator();
        // row 1: identical -> cosine 1, same argmax (index 2)
        // row 2: ref (1,0,0), out (0,1,0) -> cosine 0, argmax differs
        acc.add(new float[] {1, 2, 3, 0, 1, 0}, new float[] {1, 2, 3, 1, 0, 0}, 3);
        Fidelity f = acc.result();
        assertEquals(0.5, f.top1Agreement(), 1e-12);
        assertEquals(0.5, f.meanCosine(), 1e-12);
        // signal = 1+4+9+1 = 15, noise = 1+1 = 2
        assertEquals(10 * Math.log10(15.0 / 2.0), f.sqnrDb(), 1e-9);
        assertEquals(1.0, f.maxAbsDiff(), 0);
        assertEquals(1, f.samples());
    }

    @Test
    void identicalOutputsHaveInfiniteSqnr() {
        Fidelity.Accumulator acc = new Fidelity.Accumulator();
        acc.add(new float[] {0.5f, -2f}, new float[] {0.5f, -2f}, 2);
        assertEquals(Double.POSITIVE_INFINITY, acc.result().sqnrDb());
        assertEquals(1.0, acc.result().meanCosine(), 1e-12);
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
