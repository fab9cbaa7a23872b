package dev.edgefit.device;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ResourceClassTest {
    private static final long MIB = 1L << 20;
    private static final long GIB = 1L << 30;

    @Test
    void eachClassAndItsBoundaries() {
        assertEquals(ResourceClass.ULTRA_LOW, ResourceClass.of(512 * 1024, 240));
        assertEquals(ResourceClass.ULTRA_LOW, ResourceClass.of(100 * MIB - 1, 499));
        assertEquals(ResourceClass.LOW, ResourceClass.of(100 * MIB, 499), "RAM at the limit is not under it");
        assertEquals(ResourceClass.LOW, ResourceClass.of(64 * MIB, 500), "clock at the limit is not under it");
        assertEquals(ResourceClass.LOW, ResourceClass.of(512 * MIB, 900));
        assertEquals(ResourceClass.MEDIUM, ResourceClass.of(GIB, 900));
        assertEquals(ResourceClass.MEDIUM, ResourceClass.of(2 * GIB, 1999));
        assertEquals(ResourceClass.HIGH, ResourceClass.of(4 * GIB, 1500));
        assertEquals(ResourceClass.HIGH, ResourceClass.of(2 * GIB, 2000));
    }

    @Test
    void lowOnOneAxisAndHighOnTheOtherTakesTheHigherClass() {
        assertEquals(ResourceClass.HIGH, ResourceClass.of(256 * 1024, 3000));
        assertEquals(ResourceClass.HIGH, ResourceClass.of(16 * GIB, 100));
        assertEquals(ResourceClass.LOW, ResourceClass.of(256 * 1024, 600));
    }

    @Test
    void unknownClockIsDecidedByRam() {
        assertEquals(ResourceClass.MEDIUM, ResourceClass.of(2 * GIB, null));
        assertEquals(ResourceClass.HIGH, ResourceClass.of(24 * GIB, null));
    }

    @Test
    void lowerCaseIds() {
        assertEquals("ultra_low", ResourceClass.ULTRA_LOW.id());
        assertEquals("raspberry_pi", Platform.RASPBERRY_PI.id());
        assertEquals(Platform.NVIDIA_JETSON, Platform.parse(" NVIDIA_Jetson ").orElseThrow());
        assertEquals(8, Platform.values().length);
    }
}
