package dev.edgefit.device;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HostInfoTest {
    @Test
    void detectsPositiveCoresAndRamAndCachesTheResult() {
        HostInfo h = HostInfo.detect();
        assertTrue(h.physicalCores() > 0, h.toString());
        assertTrue(h.logicalCores() >= h.physicalCores(), h.toString());
        assertEquals(Runtime.getRuntime().availableProcessors() <= h.logicalCores(), true,
                "the JVM cannot see more processors than OSHI counts: " + h);
        assertTrue(h.totalRamBytes() > Runtime.getRuntime().maxMemory() / 8, h.toString());
        assertFalse(h.cpuModel().isBlank());
        assertFalse(h.os().isBlank());
        assertSame(h, HostInfo.detect());
    }

    @Test
    void thisMachineProfileIsMeasuredAndSourced() {
        HostInfo h = HostInfo.detect();
        DeviceProfile p = h.thisMachine();
        assertEquals(HostInfo.THIS_MACHINE, p.id());
        assertEquals(h.totalRamBytes(), p.ramBytes());
        assertEquals(h.physicalCores(), p.cpu().cores());
        assertEquals(h.maxClockMhz(), p.cpu().clockMhz());
        assertTrue(p.source("ramBytes").contains("measured by OSHI on this machine"));
        assertTrue(p.source("cpu.cores").contains("measured by OSHI on this machine"));
        assertEquals(h.maxClockMhz() != null, p.sources().containsKey("cpu.clockMhz"), "a clock is sourced exactly when known");
        assertEquals(HostInfo.platformFor(h.arch(), h.os(), h.boardModel()), p.platform());
        assertEquals(ResourceClass.of(h.totalRamBytes(), h.maxClockMhz()), p.resourceClass());
    }

    @Test
    void closestPlatform() {
        assertEquals(Platform.INTEL_NUC, HostInfo.platformFor("x86_64", "GNU/Linux Debian", null));
        assertEquals(Platform.RASPBERRY_PI, HostInfo.platformFor("aarch64", "GNU/Linux", "Raspberry Pi 4 Model B Rev 1.4"));
        assertEquals(Platform.NVIDIA_JETSON, HostInfo.platformFor("aarch64", "GNU/Linux", "NVIDIA Jetson Orin Nano Developer Kit"));
        assertEquals(Platform.IOS, HostInfo.platformFor("aarch64", "Apple macOS 14.4", null));
        assertEquals(Platform.ARM_CORTEX, HostInfo.platformFor("aarch64", "GNU/Linux Ubuntu", null));
        assertEquals("x86_64", HostInfo.normalizeArch("amd64"));
        assertEquals("aarch64", HostInfo.normalizeArch("arm64"));
    }
}
