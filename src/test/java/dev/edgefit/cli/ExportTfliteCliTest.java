package dev.edgefit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgefit.TestModels;
import dev.edgefit.compress.GraphBuilder;
import dev.edgefit.model.OnnxModels;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.edgefit.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.*;

/** export with the TFLite formats (docs/cli.md, "export"). */
class ExportTfliteCliTest {
    @Test
    void tfliteInt8AndMicroWithTheIssuesJsonShape() throws Exception {
        Path dir = TestModels.tempDir("cli-tflite").resolve("out");
        JsonNode j = run("export", TestModels.sampleCnn(), "--format", "tflite,tflite-micro", "--precision", "fp32,int8", "--out", dir,
                "--data", TestModels.sampleData(), "--samples", 200, "--calibration-samples", 100, "--device", "esp32-s3", "--json").json();
        JsonNode arts = j.get("artifacts");
        assertEquals(3, arts.size());
        assertEquals(List.of("tflite", "tflite-int8", "tflite-micro"), List.of(arts.get(0).get("format").asText(), arts.get(1).get("format").asText(),
                arts.get(2).get("format").asText()));
        for (JsonNode a : arts) {
            for (String f : List.of("path", "format", "precision", "bytes", "sha256")) {
                assertTrue(a.hasNonNull(f), f + " in " + a);
            }
            JsonNode v = a.get("verification");
            for (String f : List.of("runtime", "maxAbsDiff", "meanCosine", "top1Agreement", "accuracy")) {
                assertTrue(v.hasNonNull(f), f + " in " + v);
            }
            assertTrue(v.get("top1Agreement").asDouble() >= 0.98, v.toString());
            assertEquals(Files.size(Path.of(a.get("path").asText())), a.get("bytes").asLong());
        }
        assertEquals("int8", arts.get(1).get("precision").asText());
        assertTrue(arts.get(2).at("/details/fit").asText().contains("ESP32-S3"));
        JsonNode manifest = new com.fasterxml.jackson.databind.ObjectMapper().readTree(dir.resolve("manifest.json").toFile());
        assertEquals("esp32-s3", manifest.at("/device/id").asText());
        assertEquals("micro/model_data.cc", manifest.at("/artifacts/2/path").asText());

        CliRun text = run("export", TestModels.sampleCnn(), "--format", "tflite-fp16", "--out", dir.resolve("t"));
        assertEquals(0, text.code(), text.err());
        assertTrue(text.out().contains("model_fp16.tflite") && text.out().contains("TensorFlow Lite 2.21"), text.out());
    }

    @Test
    void errorsAreOneSentence() throws Exception {
        Path dir = TestModels.tempDir("cli-tflite-err");
        run("export", TestModels.sampleCnn(), "--format", "coreml", "--out", dir.resolve("a")).assertError(EdgeFitCli.USAGE, "Core ML", "model.ort");
        run("export", TestModels.sampleCnn(), "--format", "onnx", "--precision", "int8", "--out", dir.resolve("b"))
                .assertError(EdgeFitCli.USAGE, "--precision applies to --format tflite");
        run("export", TestModels.sampleCnn(), "--format", "tflite", "--precision", "int4", "--out", dir.resolve("c"))
                .assertError(EdgeFitCli.USAGE, "Unknown TFLite precision 'int4'");

        // a model with an operator TFLite export does not take: exit 4, each node named
        var g = new GraphBuilder(OnnxModels.load(TestModels.sampleCnn()));
        var src = OnnxModels.load(TestModels.sampleCnn());
        for (var n : src.graph().getNodeList()) {
            g.keep(n.getOpType().equals("Relu") && n.getName().equals(src.graph().getNodeList().stream()
                    .filter(x -> x.getOpType().equals("Relu")).findFirst().orElseThrow().getName()) ? n.toBuilder().setOpType("Elu").build() : n);
        }
        Path bad = dir.resolve("elu.onnx");
        OnnxModels.save(g.build("elu"), bad);
        run("export", bad, "--format", "tflite", "--out", dir.resolve("d")).assertError(EdgeFitCli.UNSUPPORTED_OPERATOR, "(Elu)", "ONNX or ORT format");
        assertFalse(Files.exists(dir.resolve("d/model.tflite")));
    }
}
