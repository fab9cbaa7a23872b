package dev.edgefit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgefit.TestModels;
import dev.edgefit.common.Json;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

class CliTest {
    record Result(int code, String out, String err) {
        JsonNode json() throws Exception {
            return Json.mapper().readTree(out);
        }
    }

    static Result run(Object... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String[] a = Arrays.stream(args).map(String::valueOf).toArray(String[]::new);
        int code = EdgeFitCli.run(a, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static void assertOneSentenceError(Result r, int code, String... fragments) {
        assertEquals(code, r.code(), r.err());
        assertEquals("", r.out(), "nothing on stdout");
        String[] lines = r.err().strip().split("\n");
        assertTrue(lines.length <= 2, "one sentence (plus a hint), got: " + r.err());
        assertFalse(r.err().contains("Exception") || r.err().contains("\tat "), "no stack trace: " + r.err());
        for (String f : fragments) {
            assertTrue(r.err().contains(f), "'" + f + "' in: " + r.err());
        }
    }

    @Test
    void inspectMiniLmAndTheSample() throws Exception {
        JsonNode j = run("inspect", TestModels.miniLm(), "--json").json();
        assertEquals(22_565_428L, j.get("parameters").asLong());
        assertEquals(Files.size(TestModels.miniLm()), j.get("fileBytes").asLong());
        assertEquals("input_ids", j.at("/inputs/0/name").asText());
        assertEquals("int64", j.at("/inputs/0/dtype").asText());
        assertEquals(48, j.at("/opHistogram/MatMul").asInt());
        assertTrue(j.get("macs").asLong() > 0);

        JsonNode c = run("inspect", TestModels.sampleCnn(), "--json").json();
        // conv1 160 + bn1 64 + conv2 4,640 + bn2 128 + dw 320 + bn3 128 + pw 2,112 + bn4 256 + fc1 73,856 + fc2 1,290
        assertEquals(82_954L, c.get("parameters").asLong());
        assertEquals(1_205_536L, c.get("macs").asLong());
        assertEquals(19, c.get("layers").size());
        assertEquals("conv1", c.at("/layers/0/name").asText());
        assertEquals(112_896L, c.at("/layers/0/macs").asLong(), "16 x 28 x 28 outputs x 9 MACs");
    }

    @Test
    void evalWithDataAndWithAReference() throws Exception {
        JsonNode j = run("eval", TestModels.sampleCnn(), "--data", TestModels.sampleData(), "--runs", 5, "--warmup", 1, "--json").json();
        assertEquals(2000, j.get("accuracySamples").asInt());
        assertEquals(0.8965, j.get("accuracy").asDouble(), 1e-9, "89.65% on the bundled 2,000 test images");
        assertTrue(j.at("/latencyMs/p50").asDouble() > 0);
        assertTrue(j.get("fidelity").isNull());

        Path q = TestModels.tempDir("cli").resolve("cnn-int8.onnx");
        Result c = run("compress", TestModels.sampleCnn(), "--technique", "int8-dynamic", "--out", q, "--data", TestModels.sampleData(),
                "--runs", 3, "--json");
        assertEquals(0, c.code(), c.err());
        JsonNode cj = c.json();
        assertEquals(Files.size(q), cj.at("/after/fileBytes").asLong(), "after is measured on the file written");
        assertTrue(cj.at("/after/fileBytes").asLong() < cj.at("/before/fileBytes").asLong() / 2);
        assertTrue(cj.at("/before/accuracy").asDouble() - cj.at("/after/accuracy").asDouble() <= 0.01, "int8 loses at most 1 point");

        JsonNode f = run("eval", q, "--reference", TestModels.sampleCnn(), "--runs", 3, "--warmup", 1, "--json").json();
        assertTrue(f.at("/fidelity/meanCosine").asDouble() > 0.99);
        assertTrue(f.at("/fidelity/top1Agreement").asDouble() > 0.9);
    }

    @Test
    void badInputGetsOneSentenceAndAnExitCode() throws Exception {
        Path dir = TestModels.tempDir("clibad");
        Path text = dir.resolve("notes.onnx");
        Files.writeString(text, "not a model");
        assertOneSentenceError(run("inspect", text, "--json"), 3, "notes.onnx", "not an ONNX model");

        byte[] full = Files.readAllBytes(TestModels.sampleCnn());
        Path cut = dir.resolve("cut.onnx");
        Files.write(cut, Arrays.copyOf(full, full.length / 3));
        assertOneSentenceError(run("eval", cut, "--json"), 3, "cut.onnx");

        Path out = dir.resolve("x.onnx");
        assertOneSentenceError(run("compress", TestModels.sampleCnn(), "--technique", "nope", "--out", out), 2, "Unknown technique 'nope'");
        assertOneSentenceError(run("compress", TestModels.sampleCnn(), "--technique", "int4", "--param", "block-size=7", "--out", out),
                2, "block-size", "int4");
        assertFalse(Files.exists(out), "no file left behind");
        assertOneSentenceError(run("compress", TestModels.sampleCnn(), "--technique", "fp16", "--out", TestModels.sampleCnn()), 2, "never overwrites");
        // Fashion images (1x28x28) for MiniLM's token inputs
        assertOneSentenceError(run("eval", TestModels.miniLm(), "--data", TestModels.sampleData()), 5, "fashion-mnist-2k");
        // the right kind of data in the wrong shape: 2x14x14 images for a 1x28x28 model
        Path small = dir.resolve("small");
        dev.edgefit.data.IdxReader.write(small.resolve("images.idx3-ubyte"), new int[] {3, 14, 14, 2}, new byte[3 * 14 * 14 * 2], false);
        assertOneSentenceError(run("eval", TestModels.sampleCnn(), "--data", small), 5, "images.idx3-ubyte", "2x14x14", "batchx1x28x28");
        // an operator ONNX Runtime does not know: one sentence naming the file and the operator, exit 4
        var m = dev.edgefit.model.OnnxModels.load(TestModels.sampleCnn());
        var gb = m.graph().toBuilder();
        gb.setNode(4, gb.getNode(4).toBuilder().setOpType("FancyPool"));
        Path odd = dir.resolve("odd-op.onnx");
        dev.edgefit.model.OnnxModels.save(m.derive(m.proto().toBuilder().setGraph(gb).build(), "odd"), odd);
        assertOneSentenceError(run("eval", odd, "--data", TestModels.sampleData()), 4, "odd-op.onnx", "FancyPool", "not supported");
        Result usage = run("eval");
        assertEquals(2, usage.code());
        assertTrue(usage.err().contains("MODEL"), usage.err());
    }

    @Test
    void devicesTechniquesExportAndReport() throws Exception {
        JsonNode d = run("devices", "--json").json();
        assertTrue(d.size() >= 3);
        JsonNode pi = null;
        for (JsonNode n : d) {
            if (n.get("id").asText().equals("raspberry-pi-4")) {
                pi = n;
            }
        }
        assertNotNull(pi);
        assertEquals("raspberry_pi", pi.get("platform").asText());
        assertTrue(pi.get("ramBytes").asLong() > 1_000_000_000L);

        JsonNode t = run("techniques", "--json").json();
        assertEquals("int8-dynamic", t.at("/0/id").asText());
        assertTrue(t.at("/0/params").size() > 0);

        Path dir = TestModels.tempDir("cliexport");
        JsonNode e = run("export", TestModels.sampleCnn(), "--format", "onnx,ort", "--out", dir.resolve("e"), "--data", TestModels.sampleData(), "--json").json();
        assertEquals(2, e.get("artifacts").size());
        assertEquals("ort", e.at("/artifacts/1/format").asText());
        assertEquals(1.0, e.at("/artifacts/1/verification/top1Agreement").asDouble());
        assertEquals(0.8965, e.at("/artifacts/0/verification/accuracy").asDouble(), 1e-9);

        Result r = run("report", TestModels.sampleCnn(), "--technique", "int8-dynamic", "--data", TestModels.sampleData(), "--device",
                "raspberry-pi-4", "--max-size", "200KB", "--runs", 3, "--out", dir.resolve("r"), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode rj = r.json();
        assertEquals(2, rj.get("steps").size());
        assertEquals("PASS", rj.at("/constraints/0/status").asText(), "int8 brings 335 kB under 200 kB: " + rj.get("constraints"));
        assertTrue(Files.isRegularFile(dir.resolve("r/report.html")));
        assertTrue(Files.isRegularFile(dir.resolve("r/model.ort")));
    }
}
