package dev.edgefit.model;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class HalfTest {

    @Test
    void everyFiniteHalfRoundTrips() {
        for (int h = 0; h < 0x10000; h++) {
            short s = (short) h;
            float f = Half.toFloat(s);
            if (Float.isNaN(f)) {
                assertTrue(Float.isNaN(Half.toFloat(Half.fromFloat(f))));
                continue;
            }
            assertEquals(s, Half.fromFloat(f), "half 0x" + Integer.toHexString(h) + " = " + f);
        }
    }

    @Test
    void knownValuesAndRounding() {
        assertEquals(1.0f, Half.toFloat((short) 0x3C00));
        assertEquals(-2.0f, Half.toFloat((short) 0xC000));
        assertEquals(65504f, Half.toFloat((short) 0x7BFF));
        assertEquals((short) 0x7C00, Half.fromFloat(1e6f), "overflow goes to infinity");
        assertEquals(5.9604645e-8f, Half.toFloat((short) 0x0001), 0f);
        // 1 + 2^-11 is halfway between 1 and the next half (1 + 2^-10): ties to even gives 1
        assertEquals((short) 0x3C00, Half.fromFloat(1f + (float) Math.pow(2, -11)));
        assertEquals((short) 0x3C01, Half.fromFloat(1f + 1.5f * (float) Math.pow(2, -11)));
    }
}
