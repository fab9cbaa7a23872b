package dev.edgefit.device;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The estimator's calibration, recomputed from the bundled profiles' published latencies: each row is fitted
 * exactly, every row is predicted from the others (leave one out), and the error per device class is printed
 * in the form docs/estimator.md gives it.
 */
class CalibrationTest {
    private final DeviceCatalog catalog = DeviceCatalog.bundled();
    private final Calibration cal = Calibration.of(catalog.profiles());

    @Test
    void everyPublishedRowIsFittedAndReproduced() {
        int published = catalog.profiles().stream().mapToInt(p -> p.measurements().size()).sum();
        assertTrue(published >= 13, "the rows of published-latency.csv are in the profiles");
        assertEquals(published, cal.rows().size(), "every published row has a reference model and throughput figures");
        for (Calibration.Row r : cal.rows()) {
            assertTrue(r.efficiency() > Calibration.MIN_EFFICIENCY * 1.01 && r.efficiency() < Calibration.MAX_EFFICIENCY * 0.99,
                    r.key() + " efficiency " + r.efficiency() + " is inside the search range");
            Workload w = ReferenceWorkloads.workload(r.measurement().model(), r.measurement().precision());
            double ms = Estimator.seconds(w, r.device(), r.runtime(), (rt, p) -> r.efficiency(), null) * 1000;
            assertEquals(r.measurement().latencyMs(), ms, r.measurement().latencyMs() * 1e-6, r.key());
        }
    }

    @Test
    void leaveOneOutErrorPerDeviceClass() throws Exception {
        List<Calibration.Check> checks = cal.leaveOneOut();
        assertEquals(cal.rows().size(), checks.size(), "every row is predicted from the others");
        StringBuilder table = new StringBuilder();
        table.append("| device | runtime | model | precision | published ms | predicted ms | error | predicted from |\n");
        table.append("|---|---|---|---|---:|---:|---:|---|\n");
        List<Calibration.Check> sorted = new ArrayList<>(checks);
        sorted.sort(Comparator.comparing((Calibration.Check c) -> c.row().device().resourceClass()).thenComparing(c -> c.row().key()));
        Map<ResourceClass, List<Double>> byClass = new TreeMap<>();
        for (Calibration.Check c : sorted) {
            Calibration.Row r = c.row();
            table.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %.1f | %.1f | %.0f%% | %s (%d) |%n", r.device().id(), r.runtime().id(),
                    r.measurement().model(), r.measurement().precision(), r.measurement().latencyMs(), c.predictedMs(), c.errorPct(),
                    c.fit().level().id(), c.fit().rows()));
            byClass.computeIfAbsent(r.device().resourceClass(), k -> new ArrayList<>()).add(c.errorPct());
            assertTrue(c.predictedMs() > 0 && Double.isFinite(c.predictedMs()), r.key());
        }
        int classStart = table.length();
        table.append("\n| class | rows | median error | worst error |\n|---|---:|---:|---:|\n");
        for (Map.Entry<ResourceClass, List<Double>> e : byClass.entrySet()) {
            List<Double> v = new ArrayList<>(e.getValue());
            v.sort(null);
            double median = v.size() % 2 == 1 ? v.get(v.size() / 2) : (v.get(v.size() / 2 - 1) + v.get(v.size() / 2)) / 2;
            table.append(String.format(Locale.ROOT, "| %s | %d | %.0f%% | %.0f%% |%n", e.getKey().id(), v.size(), median, v.get(v.size() - 1)));
        }
        String classTable = table.substring(classStart).trim();
        table.append("\n| level |");
        for (ResourceClass c : ResourceClass.values()) {
            table.append(" ").append(c.id()).append(" |");
        }
        table.append("\n|---|---:|---:|---:|---:|\n");
        for (Calibration.Level l : Calibration.Level.values()) {
            table.append("| ").append(l.id()).append(" |");
            for (ResourceClass c : ResourceClass.values()) {
                table.append(String.format(Locale.ROOT, " ±%.0f%% |", cal.bandPct(l, c)));
            }
            table.append("\n");
        }
        System.out.println(table);
        String doc = java.nio.file.Files.readString(dev.edgefit.common.AppPaths.resolve("docs/estimator.md"));
        int a = doc.indexOf("<!-- class-table -->");
        int b = doc.indexOf("<!-- /class-table -->");
        assertTrue(a >= 0 && b > a, "docs/estimator.md marks its class table");
        assertEquals(classTable, doc.substring(a + "<!-- class-table -->".length(), b).trim(),
                "docs/estimator.md states the error this calibration has; paste the table printed above");
        assertFalse(byClass.isEmpty());
        double previous = 0;
        for (Calibration.Level l : Calibration.Level.values()) {
            assertTrue(cal.bandPct(l) >= previous, "a less specific level never claims a narrower band");
            previous = cal.bandPct(l);
        }
    }
}
