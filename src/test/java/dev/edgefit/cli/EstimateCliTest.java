package dev.edgefit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgefit.TestModels;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.List;

import static dev.edgefit.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EstimateCliTest {
    private final String model = TestModels.sampleCnn().toString();

    @Test
    void estimateJsonHasOneEntryPerDeviceWithTheDocumentedFields() throws Exception {
        CliRun r = run("estimate", model, "--device", "nucleo-l4r5zi,esp32-s3,this-machine", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode a = r.json();
        assertEquals(3, a.size());
        assertEquals(List.of("nucleo-l4r5zi", "esp32-s3", "this-machine"), List.of(a.get(0).get("device").asText(),
                a.get(1).get("device").asText(), a.get(2).get("device").asText()));
        for (JsonNode e : a) {
            for (String f : List.of("device", "runtime", "latencyMs", "errorBandPct", "peakRamBytes", "flashBytes", "energyMj", "fits", "reasons")) {
                assertTrue(e.has(f), e.get("device") + " has " + f);
            }
            assertEquals(Files.size(TestModels.sampleCnn()), e.get("flashBytes").asLong(), "the model file as it is");
            assertTrue(e.get("latencyMs").asDouble() > 0);
        }
        assertEquals("x-cube-ai", a.get(0).get("runtime").asText(), "the L4R5's fastest runtime");
        assertTrue(a.get(0).get("errorBandPct").asDouble() > 0);
        assertTrue(a.get(2).get("measured").asBoolean());
        assertEquals(0.0, a.get(2).get("errorBandPct").asDouble());
        assertTrue(a.get(0).get("energyMj").isNumber(), "the L4R5 profile has a power figure");
        assertTrue(a.get(1).get("energyMj").isNull(), "the ESP32-S3 profile has none");

        JsonNode tflm = run("estimate", model, "--device", "nucleo-l4r5zi", "--runtime", "tflm", "--precision", "int8", "--json").json().get(0);
        assertEquals("tflm", tflm.get("runtime").asText());
        assertEquals("int8", tflm.get("precision").asText());
        assertTrue(tflm.get("latencyMs").asDouble() > a.get(0).get("latencyMs").asDouble() / 4,
                "TFLM's reference kernels are no match for X-CUBE-AI");
        assertTrue(tflm.get("flashBytes").asLong() < Files.size(TestModels.sampleCnn()) / 3);

        JsonNode tight = run("estimate", model, "--device", "nucleo-l4r5zi", "--max-latency", "1ms", "--json").json().get(0);
        assertFalse(tight.get("fits").asBoolean());
        assertTrue(tight.get("reasons").get(0).asText().startsWith("Latency est. "), tight.toString());
    }

    @Test
    void compareShowsDevicesAsColumns() {
        CliRun r = run("compare", model, "--devices", "nucleo-l4r5zi,raspberry-pi-4");
        assertEquals(0, r.code(), r.err());
        String header = r.out().lines().findFirst().orElseThrow();
        assertTrue(header.contains("nucleo-l4r5zi") && header.contains("raspberry-pi-4"), header);
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("latency") && l.contains("est. ") && l.contains("±")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("Model size") && l.contains("pass (+")), r.out());
    }

    @Test
    void badDeviceAndPrecisionAreOneSentence() {
        CliRun u = run("estimate", model, "--device", "nokia-3310");
        assertEquals(2, u.code());
        assertTrue(u.err().startsWith("edgefit: Unknown device 'nokia-3310'; known: arduino-nano-33-ble-sense, "), u.err());
        assertEquals(1, u.err().strip().lines().count(), u.err());
        CliRun p = run("estimate", model, "--device", "esp32", "--precision", "int3");
        assertEquals(2, p.code());
        assertEquals("edgefit: --precision must be one of int8, fp16, fp32, not 'int3'.", p.err().strip());
        CliRun rt = run("estimate", model, "--device", "esp32", "--runtime", "tensorrt");
        assertEquals(2, rt.code());
        assertEquals("edgefit: None of the devices has the runtime 'tensorrt'; theirs: tflm-esp-nn, tflm.", rt.err().strip());
    }
}
