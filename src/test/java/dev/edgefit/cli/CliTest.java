package dev.edgefit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgefit.TestModels;
import dev.edgefit.compress.ParamSpec;
import dev.edgefit.compress.Technique;
import dev.edgefit.compress.TechniqueRegistry;
import dev.edgefit.model.OnnxModels;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static dev.edgefit.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.*;

/** Every command in-process, with --json and in its human form; numbers checked against the models themselves. */
class CliTest {
    /** Short token sequences keep MiniLM runs quick. */
    static final Object[] MINILM_SHAPES = {"--shape", "input_ids=1x32", "--shape", "attention_mask=1x32", "--shape", "token_type_ids=1x32"};

    static Object[] args(Object[] head, Object... tail) {
        return Stream.concat(Stream.of(head), Stream.of(tail)).toArray();
    }

    @Test
    void inspectMiniLm() throws Exception {
        JsonNode j = run("inspect", TestModels.miniLm(), "--json").json();
        assertEquals(TestModels.miniLm().toString(), j.get("file").asText());
        assertEquals(22_565_428L, j.get("parameters").asLong());
        assertEquals(Files.size(TestModels.miniLm()), j.get("fileBytes").asLong());
        assertEquals(List.of("input_ids", "attention_mask", "token_type_ids"), names(j.get("inputs")));
        for (JsonNode in : j.get("inputs")) {
            assertEquals("int64", in.get("dtype").asText());
            assertEquals(2, in.get("shape").size());
            assertEquals(-1, in.at("/shape/0").asLong(), "dynamic batch is -1: " + in);
            assertFalse(in.get("shapeText").asText().isEmpty());
        }
        assertEquals(48, j.at("/opHistogram/MatMul").asInt());
        int nodes = 0;
        for (JsonNode c : j.get("opHistogram")) {
            nodes += c.asInt();
        }
        assertEquals(nodes, j.get("layers").size(), "one layer row per node");
        assertTrue(j.get("macs").asLong() > 0);
        assertTrue(j.get("note").isNull());
        long layerParams = 0;
        for (JsonNode l : j.get("layers")) {
            layerParams += l.get("parameters").asLong();
        }
        assertEquals(22_565_428L, layerParams, "per-layer parameters add up to the total");

        // MACs scale with the sequence length given by --shape: MatMuls are linear in it, attention quadratic
        JsonNode s64 = run(args(new Object[] {"inspect", TestModels.miniLm(), "--json"}, "--shape", "input_ids=1x64", "--shape",
                "attention_mask=1x64", "--shape", "token_type_ids=1x64")).json();
        long m128 = j.get("macs").asLong();
        long m64 = s64.get("macs").asLong();
        assertTrue(m64 < m128 && m64 > m128 / 4, m64 + " vs " + m128);
    }

    @Test
    void inspectTheSample() throws Exception {
        JsonNode c = run("inspect", TestModels.sampleCnn(), "--json").json();
        // conv1 160 + bn1 64 + conv2 4,640 + bn2 128 + dw 320 + bn3 128 + pw 2,112 + bn4 256 + fc1 73,856 + fc2 1,290
        assertEquals(82_954L, c.get("parameters").asLong());
        assertEquals(1_205_536L, c.get("macs").asLong());
        assertEquals(19, c.get("layers").size());
        assertEquals("conv1", c.at("/layers/0/name").asText());
        assertEquals(112_896L, c.at("/layers/0/macs").asLong(), "16 x 28 x 28 outputs x 9 MACs");
        assertEquals("[1,16,28,28]", c.at("/layers/0/outputShape").toString().replace(" ", ""));
        assertEquals("input", c.at("/inputs/0/name").asText());
        assertEquals("[-1,1,28,28]", c.at("/inputs/0/shape").toString().replace(" ", ""));
        assertEquals("logits", c.at("/outputs/0/name").asText());
        assertEquals(4, c.at("/opHistogram/Conv").asInt());

        CliRun human = run("inspect", TestModels.sampleCnn());
        assertEquals(0, human.code(), human.err());
        assertEquals("", human.err());
        assertTrue(human.out().contains("1,205,536"), human.out());
        String header = human.out().lines().filter(l -> l.strip().startsWith("layer ")).findFirst().orElseThrow();
        String conv1 = human.out().lines().filter(l -> l.strip().startsWith("conv1 ")).findFirst().orElseThrow();
        assertEquals(header.indexOf("MACs") + "MACs".length(), conv1.indexOf("112,896") + "112,896".length(), "MACs column right-aligned:\n" + human.out());
    }

    @Test
    void inspectStillReportsAModelOnnxRuntimeCannotRun() throws Exception {
        var m = OnnxModels.load(TestModels.sampleCnn());
        var gb = m.graph().toBuilder();
        gb.setNode(3, gb.getNode(3).toBuilder().setOpType("FancyPool"));
        Path odd = TestModels.tempDir("cliodd").resolve("odd-op.onnx");
        OnnxModels.save(m.derive(m.proto().toBuilder().setGraph(gb).build(), "odd"), odd);
        JsonNode j = run("inspect", odd, "--json").json();
        assertEquals(82_954L, j.get("parameters").asLong(), "statistics that need no run are still there");
        assertEquals(1, j.at("/opHistogram/FancyPool").asInt());
        assertTrue(j.get("macs").isNull(), "MACs need a run: not measured, not made up");
        assertTrue(j.get("note").asText().contains("FancyPool"), j.get("note").asText());
    }

    @Test
    void evalTheSampleWithItsData() throws Exception {
        JsonNode j = run("eval", TestModels.sampleCnn(), "--data", TestModels.sampleData(), "--runs", 3, "--warmup", 1, "--json").json();
        assertEquals(2000, j.get("accuracySamples").asInt());
        assertEquals(0.8965, j.get("accuracy").asDouble(), 1e-9, "89.65% on the bundled 2,000 test images");
        assertEquals(Files.size(TestModels.sampleCnn()), j.get("fileBytes").asLong());
        int runs = j.at("/latencyMs/runs").asInt();
        assertTrue(runs > 3, "at least 3 runs, and as many more as fill 0.3 s for a 0.05 ms model: " + runs);
        assertTrue(runs * j.at("/latencyMs/mean").asDouble() >= 200, "the timed runs add up to about 0.3 s: " + j.get("latencyMs"));
        assertTrue(j.at("/latencyMs/p50").asDouble() > 0);
        assertTrue(j.at("/latencyMs/p50").asDouble() <= j.at("/latencyMs/p99").asDouble());
        assertTrue(j.get("fidelity").isNull(), "no reference, no fidelity");
        assertTrue(j.get("runtime").asText().startsWith("onnxruntime"));

        JsonNode half = run("eval", TestModels.sampleCnn(), "--data", TestModels.sampleData(), "--max-samples", 500, "--runs", 3,
                "--warmup", 1, "--json").json();
        assertEquals(500, half.get("accuracySamples").asInt());
    }

    @Test
    void compressAndEvalMiniLmAgainstItsInt8Version() throws Exception {
        Path q = TestModels.tempDir("climinilm").resolve("minilm-int8.onnx");
        long sourceBytes = Files.size(TestModels.miniLm());
        CliRun c = run(args(new Object[] {"compress", TestModels.miniLm(), "--technique", "int8-dynamic", "--out", q, "--runs", 3, "--warmup", 1,
                "--fidelity-samples", 8, "--json"}, MINILM_SHAPES));
        JsonNode cj = c.json();
        assertEquals(sourceBytes, Files.size(TestModels.miniLm()), "the source is untouched");
        assertEquals("int8-dynamic", cj.get("technique").asText());
        assertTrue(cj.at("/params/per-channel").asBoolean(), "defaults are reported: " + cj.get("params"));
        assertEquals(q.toString(), cj.get("out").asText());
        assertEquals(Files.size(q), cj.get("outBytes").asLong());
        assertEquals(Files.size(q), cj.at("/after/fileBytes").asLong(), "after is measured on the file written");
        assertEquals(sourceBytes, cj.at("/before/fileBytes").asLong());
        assertTrue(Files.size(q) < sourceBytes * 0.3, "int8 weights: " + Files.size(q) + " of " + sourceBytes);
        assertTrue(cj.at("/before/fidelity").isNull());
        assertTrue(cj.at("/after/fidelity/meanCosine").asDouble() > 0.98, cj.at("/after/fidelity").toString());
        assertEquals(8, cj.at("/after/fidelity/samples").asInt());
        assertEquals("done", cj.at("/steps/0/status").asText());

        JsonNode f = run(args(new Object[] {"eval", q, "--reference", TestModels.miniLm(), "--runs", 3, "--warmup", 1,
                "--fidelity-samples", 8, "--json"}, MINILM_SHAPES)).json();
        assertEquals(Files.size(q), f.get("fileBytes").asLong());
        assertTrue(f.get("accuracy").isNull(), "no labelled data, no accuracy");
        JsonNode fid = f.get("fidelity");
        assertEquals(8, fid.get("samples").asInt());
        assertTrue(fid.get("meanCosine").asDouble() > 0.98 && fid.get("meanCosine").asDouble() < 1.0, fid.toString());
        assertTrue(fid.get("top1Agreement").asDouble() >= 0 && fid.get("top1Agreement").asDouble() <= 1, fid.toString());
        assertTrue(fid.get("sqnrDb").asDouble() > 10, "int8 keeps the signal well above the noise: " + fid);
        assertTrue(fid.get("maxAbsDiff").asDouble() > 0, "int8 is not bit-exact: " + fid);
        assertFalse(fid.get("identical").asBoolean());
        assertEquals(cj.at("/after/fidelity/meanCosine").asDouble(), fid.get("meanCosine").asDouble(), 1e-6,
                "the same generated inputs in compress and in eval");
        assertTrue(f.at("/latencyMs/runs").asInt() >= 3, f.get("latencyMs").toString());
        assertTrue(f.at("/latencyMs/p50").asDouble() > 0);

        // a model against itself: identical outputs
        JsonNode self = run(args(new Object[] {"eval", q, "--reference", q, "--runs", 1, "--warmup", 0, "--fidelity-samples", 2, "--json"},
                MINILM_SHAPES)).json();
        assertTrue(self.at("/fidelity/identical").asBoolean(), self.get("fidelity").toString());
        assertEquals(1.0, self.at("/fidelity/meanCosine").asDouble(), 1e-9);
        assertTrue(self.at("/fidelity/sqnrDb").isNull(), "infinite SQNR is written as null");
    }

    @Test
    void compressTheSampleWithDataWritesASmallerFile() throws Exception {
        Path q = TestModels.tempDir("cli").resolve("cnn-fp16.onnx");
        byte[] source = Files.readAllBytes(TestModels.sampleCnn());
        JsonNode cj = run("compress", TestModels.sampleCnn(), "--technique", "fp16", "--out", q, "--data", TestModels.sampleData(),
                "--runs", 3, "--warmup", 1, "--max-samples", 500, "--json").json();
        assertArrayEquals(source, Files.readAllBytes(TestModels.sampleCnn()), "the source is untouched");
        assertEquals(Files.size(q), cj.at("/after/fileBytes").asLong());
        assertTrue(cj.at("/after/fileBytes").asLong() < cj.at("/before/fileBytes").asLong() * 0.6, cj.toString());
        assertEquals(500, cj.at("/after/accuracySamples").asInt());
        assertTrue(Math.abs(cj.at("/before/accuracy").asDouble() - cj.at("/after/accuracy").asDouble()) <= 0.004,
                "fp16 changes at most 2 of 500 answers: " + cj.at("/before/accuracy") + " -> " + cj.at("/after/accuracy"));
        assertTrue(cj.at("/steps/0/retention").asDouble() > 0.99);
        assertEquals("accuracy", cj.at("/steps/0/decidedBy").asText(), "labelled data: accuracy retention decides");
        assertEquals(cj.at("/steps/0/retention").asDouble(), cj.at("/steps/0/acceptance/value").asDouble(), 1e-12);
        assertFalse(cj.at("/after/fidelity/top1Agreement").isNull(), "the sample's logits have a class axis");
        assertFalse(cj.at("/after/fidelity/meanCosine").isNull(), "and a cosine");
        assertEquals(0.8965, run("eval", TestModels.sampleCnn(), "--data", TestModels.sampleData(), "--runs", 1, "--json").json()
                .get("accuracy").asDouble(), 1e-9, "the source still measures the same");
        JsonNode reloaded = run("inspect", q, "--json").json();
        assertEquals(82_954L, reloaded.get("parameters").asLong(), "fp16 keeps every parameter (stored as float16)");

        CliRun human = run("compress", TestModels.sampleCnn(), "--technique", "fp16", "--out", q, "--runs", 2, "--warmup", 0);
        assertEquals(0, human.code(), human.err());
        assertTrue(human.out().contains("wrote " + q), human.out());
        assertTrue(human.out().contains("step 1 fp16: done"), human.out());
    }

    @Test
    void compressWholeGraphFloat16SaysWhereItRunsInFloat16() throws Exception {
        Path q = TestModels.tempDir("cli").resolve("cnn-fp16-graph.onnx");
        JsonNode cj = run("compress", TestModels.sampleCnn(), "--technique", "fp16", "--param", "mode=graph", "--out", q,
                "--runs", 2, "--warmup", 0, "--json").json();
        JsonNode d = cj.at("/steps/0/details/fp16Graph");
        assertEquals(19, d.get("float16Nodes").asInt(), d.toString());
        assertEquals(28, d.get("float16Weights").asInt(), d.toString());
        assertTrue(d.get("float16HereOps").isArray() && d.get("float32HereOps").isArray(), d.toString());
        assertTrue(cj.at("/after/fileBytes").asLong() < cj.at("/before/fileBytes").asLong() * 0.55, cj.toString());
        CliRun human = run("compress", TestModels.sampleCnn(), "--technique", "fp16", "--param", "mode=graph", "--out", q, "--runs", 2, "--warmup", 0);
        assertEquals(0, human.code(), human.err());
        assertTrue(human.out().contains("summary      fashion_cnn.onnx: 19 of 19 nodes with float values in float16"), human.out());
    }

    @Test
    void helpAndVersion() {
        for (String cmd : List.of("inspect", "eval", "compress", "devices", "techniques")) {
            CliRun h = run(cmd, "--help");
            assertEquals(0, h.code(), cmd + ": " + h.err());
            assertEquals("", h.err(), cmd);
            assertTrue(h.out().startsWith("Usage: edgefit " + cmd), h.out());
            assertTrue(h.out().contains("--json"), cmd + " takes --json");
        }
        CliRun root = run("--help");
        assertEquals(0, root.code(), root.err());
        for (String cmd : List.of("inspect", "eval", "compress", "devices", "techniques")) {
            assertTrue(root.out().contains("  " + cmd + " "), root.out());
        }
        CliRun v = run("--version");
        assertEquals(0, v.code());
        assertTrue(v.out().startsWith("edgefit " + EdgeFitCli.version()), v.out());
    }

    @Test
    void techniquesAreListedFromTheirDeclarations() throws Exception {
        JsonNode t = run("techniques", "--json").json();
        List<Technique> all = TechniqueRegistry.all();
        assertEquals(all.size(), t.size());
        for (int i = 0; i < all.size(); i++) {
            Technique tech = all.get(i);
            JsonNode n = t.get(i);
            assertEquals(tech.id(), n.get("id").asText());
            assertEquals(tech.displayName(), n.get("name").asText());
            assertEquals(tech.params().size(), n.get("params").size(), tech.id());
            for (int k = 0; k < tech.params().size(); k++) {
                ParamSpec p = tech.params().get(k);
                JsonNode pj = n.get("params").get(k);
                assertEquals(p.name(), pj.get("name").asText());
                assertEquals(p.type().name().toLowerCase(), pj.get("type").asText());
                assertEquals(String.valueOf(p.defaultValue()), pj.get("default").asText(), tech.id() + "." + p.name());
                assertEquals(p.help(), pj.get("help").asText());
                if (p.type() == ParamSpec.Type.INT && p.min() != null) {
                    assertTrue(pj.get("min").isIntegralNumber(), "an int parameter's bounds are whole numbers: " + pj);
                }
                if (p.type() == ParamSpec.Type.CHOICE) {
                    assertEquals(p.choices().size(), pj.get("choices").size());
                }
            }
        }
        CliRun human = run("techniques");
        assertEquals(0, human.code(), human.err());
        for (Technique tech : all) {
            assertTrue(human.out().contains(tech.id() + "  " + tech.displayName()), tech.id());
            for (ParamSpec p : tech.params()) {
                assertTrue(human.out().contains("--param " + p.name() + "="), tech.id() + "." + p.name());
            }
        }
    }

    @Test
    void devicesListTheBundledProfiles() throws Exception {
        Path dir = TestModels.root().resolve("device-profiles");
        assertTrue(Files.isDirectory(dir), "device-profiles/");
        List<String> files = new ArrayList<>();
        try (var s = Files.list(dir)) {
            s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yaml") || n.endsWith(".yml"))
                    .map(n -> n.substring(0, n.lastIndexOf('.'))).sorted().forEach(files::add);
        }
        CliRun r = run("devices", "--json");
        JsonNode d = r.json();
        assertEquals("", r.err(), "the bundled profiles load without problems");
        assertEquals(files, names(d, "id"), "one entry per profile file");
        for (JsonNode n : d) {
            for (String f : List.of("id", "name", "platform", "resourceClass", "ramBytes", "storageBytes", "runtimes", "cpu", "sources")) {
                assertTrue(n.has(f), f + " in " + n.get("id"));
            }
            assertTrue(n.get("ramBytes").asLong() > 0 && n.get("storageBytes").asLong() > 0);
        }
        JsonNode pi = null;
        for (JsonNode n : d) {
            if (n.get("id").asText().equals("raspberry-pi-4")) {
                pi = n;
            }
        }
        if (pi != null) {
            assertEquals("raspberry_pi", pi.get("platform").asText());
            assertEquals(4L << 30, pi.get("ramBytes").asLong(), "4 GB board");
        }
        CliRun human = run("devices");
        assertEquals(0, human.code(), human.err());
        assertTrue(human.out().lines().findFirst().orElse("").startsWith("id "), human.out());
        assertEquals(files.size() + 1, human.out().lines().count());
    }

    static List<String> names(JsonNode array) {
        return names(array, "name");
    }

    static List<String> names(JsonNode array, String field) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.get(field).asText()));
        return out;
    }
}
