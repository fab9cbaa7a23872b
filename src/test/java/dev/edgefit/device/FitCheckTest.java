package dev.edgefit.device;

import dev.edgefit.device.FitCheck.ConstraintResult;
import dev.edgefit.device.FitCheck.Status;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FitCheckTest {
    @Test
    void passFailAndMargins() {
        Constraints c = new Constraints(8_000_000L, 100L << 20, 20.0);
        List<ConstraintResult> r = FitCheck.check(c, 6_000_000L, 150L << 20, 15.0);
        assertEquals(3, r.size());

        ConstraintResult size = r.get(0);
        assertEquals(FitCheck.MODEL_SIZE, size.name());
        assertEquals(Status.PASS, size.status());
        assertTrue(size.pass());
        assertEquals(25.0, size.marginPct(), 1e-9);
        assertEquals("8 MB", size.limit());
        assertEquals("6 MB", size.actual(), "actual is shown in the limit's units");

        ConstraintResult ram = r.get(1);
        assertEquals(Status.FAIL, ram.status());
        assertFalse(ram.pass());
        assertEquals(-50.0, ram.marginPct(), 1e-9);
        assertEquals("100 MiB", ram.limit());
        assertEquals("150 MiB", ram.actual());
        assertTrue(ram.note().contains("on this machine, not on the device"));

        ConstraintResult lat = r.get(2);
        assertEquals(Status.PASS, lat.status());
        assertEquals(25.0, lat.marginPct(), 1e-9);
        assertEquals("measured on this machine, not on the device", lat.note());
        assertEquals(Status.FAIL, FitCheck.overall(r));

        assertEquals("+25%", size.marginText());
        assertEquals("-50%", ram.marginText());
        ConstraintResult far = FitCheck.check(new Constraints(4L << 20, null, null), 86L << 20, null, null).get(0);
        assertEquals("22x the limit", far.marginText(), "21.5 times over reads as a factor, not as -2050%");
        assertEquals("3.7x the limit", ConstraintResult.marginText(-270.0));
        assertEquals("", ConstraintResult.marginText(Double.NaN));
    }

    @Test
    void exactlyAtTheLimitPasses() {
        List<ConstraintResult> r = FitCheck.check(new Constraints(1000L, null, 10.0), 1000L, null, 10.0);
        assertEquals(Status.PASS, r.get(0).status());
        assertEquals(0.0, r.get(0).marginPct(), 0.0);
        assertEquals(Status.PASS, r.get(1).status());
        assertEquals(Status.PASS, FitCheck.overall(r));
    }

    @Test
    void unmeasuredFiguresAreNotMeasuredNeverPass() {
        List<ConstraintResult> r = FitCheck.check(new Constraints(null, 1L << 30, 50.0), 123L, null, null);
        assertEquals(2, r.size());
        for (ConstraintResult x : r) {
            assertEquals(Status.NOT_MEASURED, x.status());
            assertFalse(x.pass());
            assertTrue(Double.isNaN(x.marginPct()));
            assertEquals("not measured", x.actual());
        }
        assertEquals(Status.NOT_MEASURED, FitCheck.overall(r));
    }

    @Test
    void latencyOverTheLimitFails() {
        List<ConstraintResult> r = FitCheck.check(new Constraints(null, null, 20.0), 1L, 1L, 30.0);
        assertEquals(1, r.size());
        assertEquals(Status.FAIL, r.get(0).status());
        assertEquals(-50.0, r.get(0).marginPct(), 1e-9);
        assertEquals("30 ms", r.get(0).actual());
    }

    @Test
    void onlyLimitsThatAreSetAreReported() {
        assertTrue(FitCheck.check(Constraints.NONE, 10L, 10L, 1.0).isEmpty());
        assertEquals(Status.PASS, FitCheck.overall(List.of()));
    }
}
