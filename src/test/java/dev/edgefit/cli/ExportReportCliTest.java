package dev.edgefit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgefit.TestModels;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static dev.edgefit.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.*;

/** The export and report commands (docs/cli.md, "export and report"). */
class ExportReportCliTest {
    @Test
    void exportAndReport() throws Exception {
        Path dir = TestModels.tempDir("cliexport");
        JsonNode e = run("export", TestModels.sampleCnn(), "--format", "onnx,ort", "--out", dir.resolve("e"), "--data", TestModels.sampleData(), "--json").json();
        assertEquals(2, e.get("artifacts").size());
        assertEquals("ort", e.at("/artifacts/1/format").asText());
        assertEquals(1.0, e.at("/artifacts/1/verification/top1Agreement").asDouble());
        assertEquals(0.8965, e.at("/artifacts/0/verification/accuracy").asDouble(), 1e-9);
        assertEquals(2000, e.at("/artifacts/0/verification/accuracySamples").asInt(), "accuracy is over every labelled item");
        assertEquals(64, e.at("/artifacts/0/verification/samples").asInt(), "agreement over the default 64 inputs");
        String card = Files.readString(dir.resolve("e/README.md"));
        assertTrue(card.contains("on the same 64 inputs; accuracy is over 2,000 labelled items"), card);

        CliRun r = run("report", TestModels.sampleCnn(), "--technique", "int8-dynamic", "--data", TestModels.sampleData(), "--device",
                "raspberry-pi-4", "--max-size", "200KB", "--runs", 3, "--out", dir.resolve("r"), "--json");
        JsonNode rj = r.json();
        assertEquals(2, rj.get("steps").size());
        assertEquals("PASS", rj.at("/constraints/0/status").asText(), "int8 brings 335 kB under 200 kB: " + rj.get("constraints"));
        // one verdict: Fits agrees with every limit row, each judged on the Raspberry Pi's figures
        boolean allPass = true;
        boolean anyFail = false;
        for (JsonNode c : rj.get("constraints")) {
            allPass &= c.get("status").asText().equals("PASS");
            anyFail |= c.get("status").asText().equals("FAIL");
        }
        String verdict = rj.at("/device/verdict").asText();
        assertEquals(allPass ? "pass" : anyFail ? "fail" : verdict, verdict, rj.get("constraints").toString());
        assertEquals(allPass, rj.at("/device/estimate/fits").asBoolean(), rj.at("/device").toString());
        JsonNode ram = rj.at("/constraints/1");
        assertEquals("Peak RAM", ram.get("name").asText());
        assertTrue(ram.get("actual").asText().startsWith("est. "), "the Pi's estimate decides: " + ram);
        assertFalse(ram.get("thisMachine").isNull(), "this machine's measured figure is beside it: " + ram);
        String page = Files.readString(dir.resolve("r/report.html"));
        assertTrue(page.contains("<tr><th>Fits</th><td>" + (allPass ? "yes" : anyFail ? "no" : "unknown") + "</td></tr>"), "one Fits line");
        assertTrue(Files.isRegularFile(dir.resolve("r/report.html")));
        assertTrue(Files.isRegularFile(dir.resolve("r/model.ort")));
    }
}
