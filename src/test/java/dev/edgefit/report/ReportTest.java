package dev.edgefit.report;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgefit.TestModels;
import dev.edgefit.common.Json;
import dev.edgefit.compress.Int8Dynamic;
import dev.edgefit.compress.Params;
import dev.edgefit.device.Constraints;
import dev.edgefit.device.DeviceCatalog;
import dev.edgefit.device.DeviceProfile;
import dev.edgefit.device.HostInfo;
import dev.edgefit.eval.EvalConfig;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.ModelStats;
import dev.edgefit.model.OnnxModels;
import dev.edgefit.pipeline.Experiment;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

class ReportTest {

    @Test
    void reportCarriesTheMeasuredStepsAndEscapesModelStrings() throws Exception {
        // a real model whose first node name and a metadata value carry markup
        ModelSnapshot m = OnnxModels.load(TestModels.sampleCnn());
        var gb = m.graph().toBuilder();
        gb.setNode(0, gb.getNode(0).toBuilder().setName("<script>alert(1)</script>"));
        Path dir = TestModels.tempDir("report");
        Path evil = dir.resolve("<img src=x onerror=alert(1)>.onnx");
        OnnxModels.save(m.derive(m.proto().toBuilder().setGraph(gb).build(), "evil"), evil);

        DeviceProfile pi = DeviceCatalog.bundled().find("raspberry-pi-4").orElseThrow();
        try (Experiment ex = new Experiment(evil, ExportServiceData.data(m), EvalConfig.defaults().withRuns(2, 5).withMaxSamples(300), dir.resolve("work"))) {
            ex.measureOriginal().result().get(2, TimeUnit.MINUTES);
            Int8Dynamic t = new Int8Dynamic();
            ex.run(t, Params.defaults(t)).result().get(2, TimeUnit.MINUTES);
            ModelStats stats = ModelStats.compute(ex.source(), Map.of());
            DeploymentReport r = ReportBuilder.from(ex, stats, pi, Constraints.parse("1MB", "", "50ms"), null, HostInfo.detect());
            Path json = dir.resolve("report.json");
            Path html = dir.resolve("report.html");
            ReportWriter.writeJson(r, json);
            ReportWriter.writeHtml(r, html);

            JsonNode j = Json.mapper().readTree(json.toFile());
            assertEquals(2, j.get("steps").size());
            assertEquals(Files.size(ex.steps().get(1).artifact()), j.at("/steps/1/fileBytes").asLong());
            assertEquals(ex.steps().get(1).metrics().accuracy(), j.at("/steps/1/accuracy").asDouble(), 1e-12);
            assertEquals("raspberry-pi-4", j.at("/device/id").asText());
            assertEquals("accuracy", j.at("/steps/1/decidedBy").asText(), "labelled data: accuracy retention decides");
            assertEquals(ex.steps().get(1).retention(), j.at("/steps/1/decisionValue").asDouble(), 1e-12);
            assertEquals("accuracy>=0.95,sqnrDb>=10", j.get("acceptance").asText());
            assertEquals(1, j.at("/steps/1/outputs").size(), "every output, here the logits");
            assertEquals("logits", j.at("/steps/1/outputs/0/name").asText());
            assertEquals(3, j.get("constraints").size(), "size and latency limits, and the device's RAM");
            assertEquals(stats.parameters(), j.at("/model/parameters").asLong());
            // the current step on the Raspberry Pi 4, estimated with its band, fitting the given limits or not
            assertTrue(j.at("/device/estimate/latencyMs").asDouble() > 0, j.at("/device").toString());
            assertTrue(j.at("/device/estimate/errorBandPct").asDouble() > 0);
            assertEquals(Files.size(ex.steps().get(1).artifact()), j.at("/device/estimate/flashBytes").asLong());
            assertFalse(j.at("/device/estimate/runtime").asText().isEmpty());

            String page = Files.readString(html);
            assertFalse(page.contains("<script>"), "no markup from the model reaches the page unescaped");
            assertTrue(page.contains("&lt;img src=x onerror=alert(1)&gt;.onnx"), "the file name is escaped");
            assertFalse(page.contains("<img"));
            assertFalse(page.contains("http://") || page.contains("https://"), "self-contained: no external resources");
            assertTrue(page.contains("<svg"), "charts are inline SVG");
            assertTrue(page.contains("<th>Decided by</th>") && page.contains("Acceptance rule: <code>accuracy&gt;=0.95,sqnrDb&gt;=10</code>"),
                    "the page says which metric decided");
            assertTrue(page.contains("The current step on this device (estimated)") && page.contains("est. "), "the device estimate is in the page");
        }
    }

    @Test
    void fitsAgreesWithEveryLimitRowOnTheDevicesFigures() throws Exception {
        Path dir = TestModels.tempDir("report-fit");
        DeviceProfile nucleo = DeviceCatalog.bundled().find("nucleo-h7a3zi-q").orElseThrow();
        ModelSnapshot m = OnnxModels.load(TestModels.sampleCnn());
        try (Experiment ex = new Experiment(TestModels.sampleCnn(), ExportServiceData.data(m), EvalConfig.defaults().withRuns(2, 5).withMaxSamples(100),
                dir.resolve("work"))) {
            ex.measureOriginal().result().get(2, TimeUnit.MINUTES);
            var metrics = ex.current().metrics();
            for (String latency : new String[] {"5ms", "10s"}) {
                Constraints c = Constraints.parse("", "", latency).orElse(nucleo.defaultConstraints());
                DeploymentReport r = ReportBuilder.from(ex, ModelStats.compute(ex.source(), Map.of()), nucleo, c, null, HostInfo.detect());
                Path json = dir.resolve("report-" + latency + ".json");
                Path html = dir.resolve("report-" + latency + ".html");
                ReportWriter.writeJson(r, json);
                ReportWriter.writeHtml(r, html);
                JsonNode j = Json.mapper().readTree(json.toFile());
                JsonNode rows = j.get("constraints");
                assertEquals(3, rows.size(), rows.toString());
                boolean anyFail = false;
                boolean allPass = true;
                for (JsonNode row : rows) {
                    anyFail |= row.get("status").asText().equals("FAIL");
                    allPass &= row.get("status").asText().equals("PASS");
                }
                String verdict = j.at("/device/verdict").asText();
                assertEquals(anyFail ? "fail" : allPass ? "pass" : verdict, verdict, rows.toString());
                assertEquals(allPass, j.at("/device/estimate/fits").asBoolean(), "the estimate's fits is the same verdict");
                assertEquals(verdict, j.at("/device/estimate/verdict").asText());
                // the device's figures decide, labelled est., with this machine's beside them
                JsonNode ram = rows.get(1);
                JsonNode lat = rows.get(2);
                assertEquals("Peak RAM", ram.get("name").asText());
                assertEquals("est. " + Constraints.formatBytes(j.at("/device/estimate/peakRamBytes").asLong()), ram.get("actual").asText());
                assertEquals(Constraints.formatBytes(metrics.peakMemoryBytes()), ram.get("thisMachine").asText());
                assertTrue(lat.get("actual").asText().startsWith("est. " + Constraints.formatMillis(j.at("/device/estimate/latencyMs").asDouble()) + " ±"),
                        lat.toString());
                assertEquals(Constraints.formatMillis(metrics.latencyMs().p50()), lat.get("thisMachine").asText());
                boolean latencyOver = j.at("/device/estimate/latencyMs").asDouble() > c.maxLatencyMs();
                assertEquals(latencyOver ? "FAIL" : "PASS", lat.get("status").asText());
                String page = Files.readString(html);
                String word = anyFail ? "no" : allPass ? "yes" : "unknown";
                assertTrue(page.contains("<tr><th>Fits</th><td>" + word + "</td></tr>"), "the estimate's Fits line says " + word);
                assertTrue(page.contains("\">" + word + "</span></p>"), "the constraints' Fits line says " + word);
                assertFalse(page.contains("<th>Fits</th><td>" + (word.equals("yes") ? "no" : "yes") + "</td>"));
            }
        }
    }

    /** The bundled data with the sample's preprocessing. */
    static final class ExportServiceData {
        static dev.edgefit.data.Dataset data(ModelSnapshot m) {
            return dev.edgefit.data.Datasets.open(TestModels.sampleData(),
                    dev.edgefit.data.Preprocessing.fromJson(m.metadata(dev.edgefit.data.Preprocessing.METADATA_KEY)));
        }
    }
}
