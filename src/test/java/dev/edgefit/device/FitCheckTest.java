package dev.edgefit.device;

import dev.edgefit.device.FitCheck.ConstraintResult;
import dev.edgefit.device.FitCheck.Figures;
import dev.edgefit.device.FitCheck.Measured;
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
        assertEquals("7.63 MiB", size.limit(), "one unit system: binary units, even for a limit given in MB");
        assertEquals("5.72 MiB", size.actual());

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

    private static final Measured HOST = new Measured(400_000L, 10_780_000L, 0.0628);

    private static DeviceProfile device(String id) {
        return DeviceCatalog.bundled().find(id).orElseThrow();
    }

    private static Estimate estimate(DeviceProfile d, Constraints c) throws Exception {
        DeviceCatalog cat = DeviceCatalog.bundled();
        var m = dev.edgefit.model.OnnxModels.load(dev.edgefit.TestModels.sampleCnn());
        Workload w = Workload.of(m, (String) null);
        return DeviceEstimates.estimate(w, null, java.nio.file.Files.size(dev.edgefit.TestModels.sampleCnn()), List.of(d), null, null, c,
                Calibration.of(cat.profiles()), null).get(0);
    }

    @Test
    void deviceFiguresDecideForAMicrocontroller() throws Exception {
        DeviceProfile nucleo = device("nucleo-h7a3zi-q");
        Estimate e = estimate(nucleo, null);
        assertTrue(e.latencyMs() != null && e.errorBandPct() <= FitCheck.MAX_BAND_PCT, "the nucleo is calibrated: " + e);
        // limits the host figures and the device figures judge the opposite way
        assertTrue(2 * e.peakRamBytes() < HOST.peakRamBytes() && HOST.latencyMs() < e.latencyMs() / 2, e.toString());
        Constraints c = new Constraints(null, 2 * e.peakRamBytes(), e.latencyMs() / 2);

        List<ConstraintResult> r = FitCheck.check(c, nucleo, HOST, e, null);
        ConstraintResult ram = r.stream().filter(x -> x.name().equals(FitCheck.PEAK_RAM)).findFirst().orElseThrow();
        assertEquals("est. " + Constraints.formatBytes(e.peakRamBytes()), ram.actual());
        assertEquals(Status.PASS, ram.status(), "the device's estimated RAM is under the limit; this machine's 10 MiB would not be");
        assertEquals(Constraints.formatBytes(HOST.peakRamBytes()), ram.thisMachine());
        assertEquals("this machine's: 10.28 MiB", ram.thisMachineText());

        ConstraintResult lat = r.stream().filter(x -> x.name().equals(FitCheck.LATENCY)).findFirst().orElseThrow();
        assertTrue(lat.actual().startsWith("est. " + Constraints.formatMillis(e.latencyMs()) + " ±"), lat.actual());
        assertEquals(Status.FAIL, lat.status(), "the device's estimate is twice the limit, though this machine's 0.0628 ms is under it");
        assertEquals(Constraints.formatMillis(HOST.latencyMs()), lat.thisMachine());
        assertEquals(Status.FAIL, FitCheck.overall(r));

        // the storage is a limit when none is given: the size row is always there for a device
        assertEquals(FitCheck.MODEL_SIZE, r.get(0).name());
        assertEquals(Constraints.formatBytes(nucleo.storageBytes()), r.get(0).limit());

        // a TFLite Micro export's arena replaces the RAM estimate
        ConstraintResult arena = FitCheck.check(c, nucleo, HOST, e, 3 * e.peakRamBytes()).get(1);
        assertEquals(Status.FAIL, arena.status());
        assertTrue(arena.note().contains("tensor arena"), arena.note());

        // the estimate's own checks (what estimate and compare print) are the same verdict
        Estimate judged = estimate(nucleo, c);
        assertEquals(Status.FAIL, judged.verdict());
        assertFalse(judged.fits());
    }

    @Test
    void anOverWideBandIsUnknownNeverFits() throws Exception {
        DeviceProfile nucleo = device("nucleo-h7a3zi-q");
        Figures wide = new Figures(1000, 1000L, "est.", 1.0, 740, false);
        List<ConstraintResult> r = FitCheck.check(new Constraints(null, null, 100.0), nucleo, wide, HOST);
        ConstraintResult lat = r.get(r.size() - 1);
        assertEquals(Status.UNKNOWN, lat.status(), "1 ms ±740% against 100 ms: the estimate cannot tell");
        assertEquals(FitCheck.UNKNOWN_LATENCY, lat.actual());
        assertTrue(Double.isNaN(lat.marginPct()));
        assertEquals(Status.UNKNOWN, FitCheck.overall(r));
        Figures narrow = new Figures(1000, 1000L, "est.", 1.0, FitCheck.MAX_BAND_PCT, false);
        assertEquals(Status.PASS, FitCheck.overall(FitCheck.check(new Constraints(null, null, 100.0), nucleo, narrow, HOST)));

        // a real device without a calibration for its runtime: the Arduino
        DeviceProfile arduino = device("arduino-nano-33-ble-sense");
        Estimate e = estimate(arduino, new Constraints(null, null, 1e9));
        assertTrue(e.errorBandPct() > FitCheck.MAX_BAND_PCT, "the Arduino's band: " + e.errorBandPct());
        assertFalse(e.fits(), "a limit of 1e9 ms is not judged met by an estimate whose band is wider than itself");
        assertEquals(Status.UNKNOWN, e.verdict());
        assertEquals(FitCheck.UNKNOWN_LATENCY, e.latencyText());
        assertTrue(e.reasons().stream().anyMatch(x -> x.contains("wider than the estimate itself")), e.reasons().toString());
    }

    @Test
    void thisMachineUsesTheMeasuredFigures() throws Exception {
        DeviceProfile host = HostInfo.detect().thisMachine();
        Estimate other = estimate(device("nucleo-h7a3zi-q"), null);
        List<ConstraintResult> r = FitCheck.check(new Constraints(null, 1L << 20, 1.0), host, HOST, other, 1L);
        ConstraintResult ram = r.get(r.size() - 2);
        assertEquals(FitCheck.PEAK_RAM, ram.name());
        assertEquals("10.28 MiB", ram.actual(), "measured here, no estimate and no arena");
        assertEquals(Status.FAIL, ram.status());
        assertEquals(null, ram.thisMachine());
        ConstraintResult lat = r.get(r.size() - 1);
        assertEquals("0.0628 ms", lat.actual());
        assertEquals(Status.PASS, lat.status());
        assertFalse(lat.actual().contains("est."));
    }
}
