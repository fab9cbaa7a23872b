package dev.edgefit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.edgefit.TestModels;
import dev.edgefit.common.Json;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static dev.edgefit.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.*;

/** {@code compress --recipe}: a recipe as the manifest writes it gives the same bytes again; a wrong source or step is one sentence. */
class RecipeCliTest {
    private static final Object[] FAST = {"--runs", 1, "--warmup", 0, "--fidelity-samples", 4};

    private static Object[] args(Object[] head) {
        Object[] a = new Object[head.length + FAST.length];
        System.arraycopy(head, 0, a, 0, head.length);
        System.arraycopy(FAST, 0, a, head.length, FAST.length);
        return a;
    }

    @Test
    void aChainReplaysToTheSameBytesFromJsonYamlAndAManifestWrapper() throws Exception {
        Path dir = TestModels.tempDir("recipe-chain");
        Path first = dir.resolve("first.onnx");
        JsonNode j = run(args(new Object[] {"compress", TestModels.sampleCnn(), "--pipeline", "int8-dynamic,fp16", "--out", first, "--json"})).json();
        JsonNode recipe = j.get("recipe");
        assertEquals("edgefit-recipe/1", recipe.get("format").asText());
        assertEquals(2, recipe.get("steps").size());
        assertEquals("int8-dynamic", recipe.get("steps").get(0).get("technique").asText());
        assertEquals("fp16", recipe.get("steps").get(1).get("technique").asText());
        // every parameter is written, defaults included
        assertTrue(recipe.get("steps").get(0).get("params").size() >= 2, recipe.toString());
        assertEquals("generated", recipe.get("data").get("kind").asText());
        assertEquals(64, recipe.get("source").get("sha256").asText().length());

        Path json = dir.resolve("recipe.json");
        Files.writeString(json, Json.write(recipe));
        Path yaml = dir.resolve("recipe.yaml");
        Files.writeString(yaml, Json.yaml().writeValueAsString(recipe));
        Path manifest = dir.resolve("manifest.json");
        ObjectNode wrapper = Json.mapper().createObjectNode();
        wrapper.set("recipe", recipe);
        Files.writeString(manifest, Json.write(wrapper));

        byte[] expected = Files.readAllBytes(first);
        int i = 0;
        for (Path r : new Path[] {json, json, yaml, manifest}) {
            Path out = dir.resolve("replay-" + i++ + ".onnx");
            JsonNode rj = run(args(new Object[] {"compress", TestModels.sampleCnn(), "--recipe", r, "--out", out, "--json"})).json();
            assertEquals(2, rj.get("keptStep").asInt(), "the recipe's chain: int8-dynamic then fp16 on it");
            assertArrayEquals(expected, Files.readAllBytes(out), "replaying " + r.getFileName() + " gives the same bytes");
        }
    }

    @Test
    void int8StaticWithDataReplaysByteIdenticalTwice() throws Exception {
        Path dir = TestModels.tempDir("recipe-static");
        Path first = dir.resolve("first.onnx");
        JsonNode recipe = run(args(new Object[] {"compress", TestModels.sampleCnn(), "--technique", "int8-static", "--data", TestModels.sampleData(),
                "--out", first, "--json"})).json().get("recipe");
        assertEquals("idx", recipe.get("data").get("kind").asText());
        assertTrue(recipe.get("data").get("labelled").asBoolean());
        Path file = dir.resolve("recipe.json");
        Files.writeString(file, Json.write(recipe));
        Path a = dir.resolve("a.onnx");
        Path b = dir.resolve("b.onnx");
        // no --data: the recipe's data calibrates and measures
        JsonNode ja = run(args(new Object[] {"compress", TestModels.sampleCnn(), "--recipe", file, "--out", a, "--json"})).json();
        run(args(new Object[] {"compress", TestModels.sampleCnn(), "--recipe", file, "--out", b, "--json"})).json();
        assertNotNull(ja.get("after").get("accuracy"), "the recipe's labelled data gives an accuracy");
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
        assertArrayEquals(Files.readAllBytes(first), Files.readAllBytes(a));
    }

    @Test
    void aRecipeFromAnotherSourceOrWithAnUnknownStepIsOneSentence() throws Exception {
        Path dir = TestModels.tempDir("recipe-bad");
        String good = """
                {"format": "edgefit-recipe/1", "source": {"file": "other.onnx", "sha256": "%s"},
                 "data": {"kind": "generated", "shapes": {}, "values": {}}, "acceptance": "none",
                 "steps": [{"step": 1, "technique": "%s", "params": {%s}}]}
                """;
        Path other = dir.resolve("other.json");
        Files.writeString(other, good.formatted("0".repeat(64), "fp16", ""));
        run(args(new Object[] {"compress", TestModels.sampleCnn(), "--recipe", other, "--out", dir.resolve("x.onnx")}))
                .assertError(2, "other.onnx", "--force");
        assertFalse(Files.exists(dir.resolve("x.onnx")));
        JsonNode forced = run(args(new Object[] {"compress", TestModels.sampleCnn(), "--recipe", other, "--force", "--out", dir.resolve("x.onnx"),
                "--json"})).json();
        assertEquals("fp16", forced.get("steps").get(0).get("technique").asText());

        Path unknown = dir.resolve("unknown.json");
        Files.writeString(unknown, good.formatted("0".repeat(64), "int3", ""));
        run(args(new Object[] {"compress", TestModels.sampleCnn(), "--recipe", unknown, "--force", "--out", dir.resolve("y.onnx")}))
                .assertError(2, "unknown.json", "int3");
        Path param = dir.resolve("param.json");
        Files.writeString(param, good.formatted("0".repeat(64), "fp16", "\"bogus\": 1"));
        run(args(new Object[] {"compress", TestModels.sampleCnn(), "--recipe", param, "--force", "--out", dir.resolve("y.onnx")}))
                .assertError(2, "param.json", "bogus");
        run(args(new Object[] {"compress", TestModels.sampleCnn(), "--recipe", other, "--technique", "fp16", "--out", dir.resolve("y.onnx")}))
                .assertError(2, "--recipe");
    }
}
