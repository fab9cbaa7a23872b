package dev.edgefit.device;

import dev.edgefit.common.EdgeFitException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConstraintsTest {
    @Test
    void parsesSiAndBinarySizes() {
        assertEquals(8_000_000L, Constraints.parseBytes("8MB"));
        assertEquals(524_288L, Constraints.parseBytes("512KiB"));
        assertEquals(1_610_612_736L, Constraints.parseBytes("1.5 GiB"));
        assertEquals(4_000_000_000L, Constraints.parseBytes("4gb"));
        assertEquals(1024L, Constraints.parseBytes("1024"));
        assertEquals(1024L, Constraints.parseBytes("1024 B"));
        assertEquals(3L << 40, Constraints.parseBytes("3TiB"));
        assertEquals(2L, Constraints.parseBytes("1.5B"), "rounds to the nearest byte");
    }

    @Test
    void parsesDurations() {
        assertEquals(20.0, Constraints.parseMillis("20ms"));
        assertEquals(1500.0, Constraints.parseMillis("1.5s"));
        assertEquals(0.5, Constraints.parseMillis("500us"));
        assertEquals(0.25, Constraints.parseMillis("250 µs"));
        assertEquals(33.3, Constraints.parseMillis("33.3"));
    }

    @Test
    void badInputIsOneSentenceNamingTheText() {
        EdgeFitException e = assertThrows(EdgeFitException.class, () -> Constraints.parseBytes("8XB"));
        assertEquals(EdgeFitException.Kind.BAD_PARAMETER, e.kind());
        assertEquals("'8XB' is not a size: write a number with B, KB, MB, GB, KiB, MiB or GiB, for example 8MB or 512KiB.", e.getMessage());
        assertTrue(assertThrows(EdgeFitException.class, () -> Constraints.parseBytes("-1MB")).getMessage().contains("must not be negative"));
        assertThrows(EdgeFitException.class, () -> Constraints.parseBytes(""));
        assertThrows(EdgeFitException.class, () -> Constraints.parseBytes("MB"));
        assertThrows(EdgeFitException.class, () -> Constraints.parseBytes(null));
        assertThrows(EdgeFitException.class, () -> Constraints.parseBytes("99999999TB"));
        EdgeFitException t = assertThrows(EdgeFitException.class, () -> Constraints.parseMillis("20 minutes"));
        assertEquals("'20 minutes' is not a duration: write a number with ms, s or us, for example 20ms.", t.getMessage());
        assertThrows(EdgeFitException.class, () -> Constraints.parseMillis("-3ms"));
    }

    @Test
    void parseTreatsBlankAsNoLimitAndRejectsZero() {
        Constraints c = Constraints.parse("8MB", " ", "20ms");
        assertEquals(8_000_000L, c.maxModelBytes());
        assertNull(c.maxRamBytes());
        assertEquals(20.0, c.maxLatencyMs());
        assertTrue(Constraints.parse(null, null, null).isEmpty());
        assertEquals(Constraints.NONE, Constraints.parse("", "", ""));
        assertThrows(EdgeFitException.class, () -> Constraints.parse("0MB", null, null));
        assertThrows(EdgeFitException.class, () -> Constraints.parse(null, null, "0ms"));
    }

    @Test
    void orElseFillsOnlyUnsetLimits() {
        Constraints user = new Constraints(null, 100L, null);
        Constraints device = new Constraints(5L, 6L, 7.0);
        assertEquals(new Constraints(5L, 100L, 7.0), user.orElse(device));
        assertEquals(user, user.orElse(null));
    }

    @Test
    void formatsInBinaryUnits() {
        assertEquals("8 MiB", Constraints.formatBytes(8L << 20));
        assertEquals("7.63 MiB", Constraints.formatBytes(8_000_000), "one unit system: binary, even for a round SI figure");
        assertEquals("22.37 MiB", Constraints.formatBytes(23_456_789));
        assertEquals("900 B", Constraints.formatBytes(900));
        assertEquals("512 KiB", Constraints.formatBytes(524_288));
        assertEquals("683.59 KiB", Constraints.formatBytes(700_000));
        assertEquals("700000 B", Constraints.formatBytesExact(700_000), "a saved field reads back to the byte");
        assertEquals("512 KiB", Constraints.formatBytesExact(524_288));
        assertEquals("14.90 GiB", Constraints.formatBytes(16_000_000_000L));
        assertEquals("1000 KiB", Constraints.formatBytes(1_024_000));
        assertEquals("0 B", Constraints.formatBytes(0));
        assertEquals("20 ms", Constraints.formatMillis(20));
        assertEquals("12.3 ms", Constraints.formatMillis(12.34));
        assertEquals("1250.5 ms", Constraints.formatMillis(1250.5));
    }
}
