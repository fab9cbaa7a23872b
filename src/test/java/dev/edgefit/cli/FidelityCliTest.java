package dev.edgefit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgefit.ModelCorpus;
import dev.edgefit.TestModels;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static dev.edgefit.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.*;

/** Fidelity that cannot be fooled, through the command line: outputs of one value, several outputs, near-zero maps. */
class FidelityCliTest {

    @Test
    void aWakeWordProbabilityHasNoCosineOrTop1ButAnSqnr() throws Exception {
        Path out = TestModels.tempDir("fidcli").resolve("b.onnx");
        // the [1,1] probability: the per-row reading gave cosine 1.0 and top-1 1.0 whatever the weights
        JsonNode j = run("compress", ModelCorpus.WAKE_WORD.path(), "--technique", "binary", "--param", "keep-first-and-last=false", "--out", out,
                "--runs", 2, "--warmup", 0, "--accept", "sqnrDb>=-100", "--json").json();
        assertEquals("sqnrDb>=-100", j.get("accept").asText());
        JsonNode step = j.at("/steps/0");
        assertEquals("done", step.get("status").asText());
        assertEquals("sqnrDb", step.get("decidedBy").asText());
        assertTrue(step.get("note").asText().startsWith("Kept by sqnrDb: SQNR "), step.toString());
        JsonNode f = step.at("/metrics/fidelity");
        assertTrue(f.get("meanCosine").isNull(), "no cosine of a single value: " + f);
        assertTrue(f.get("top1Agreement").isNull(), "no class axis: " + f);
        assertTrue(f.get("sqnrDb").asDouble() < 35, "binary weights are far from exact: " + f);
        assertEquals(step.at("/acceptance/value").asDouble(), f.get("sqnrDb").asDouble(), 1e-9);
        assertEquals(1, f.get("outputs").size());
        JsonNode o = f.at("/outputs/0");
        assertEquals(o.get("name").asText(), f.get("worstOutput").asText());
        assertTrue(o.get("cosine").isNull() && o.get("top1").isNull(), o.toString());
        assertEquals(f.get("relL2").asDouble(), o.get("relL2").asDouble(), 1e-12);
        assertTrue(o.get("maxAbsDiff").asDouble() >= o.get("meanAbsDiff").asDouble() && o.get("meanAbsDiff").asDouble() > 0, o.toString());
    }

    @Test
    void binaryWeightsOnTheFaceDetectorAreJudgedOnItsWorstOutput() throws Exception {
        Path out = TestModels.tempDir("fidcli").resolve("face.onnx");
        // four outputs, the first scores [1,512,1]: the default rule (no labels: SQNR >= 10 dB) rejects the step
        run("compress", ModelCorpus.BLAZEFACE.path(), "--technique", "binary", "--out", out, "--runs", 2, "--warmup", 0,
                "--fidelity-samples", 4, "--json").assertError(EdgeFitCli.CONSTRAINT, "Rejected by sqnrDb: SQNR ", "(worst output '",
                "is below the bar sqnrDb>=10");
        assertFalse(Files.exists(out));
        JsonNode j = run("compress", ModelCorpus.BLAZEFACE.path(), "--technique", "binary", "--out", out, "--runs", 2, "--warmup", 0,
                "--fidelity-samples", 4, "--accept", "none", "--json").json();
        JsonNode f = j.at("/steps/0/metrics/fidelity");
        assertEquals(4, f.get("outputs").size(), "every output is compared: " + f);
        double worst = Double.POSITIVE_INFINITY;
        for (JsonNode o : f.get("outputs")) {
            worst = Math.min(worst, o.get("sqnrDb").asDouble());
            if (o.get("name").asText().equals("Identity:0")) {
                assertTrue(o.get("top1").isNull(), "scores [1,512,1] have no class axis: " + o);
                assertFalse(o.get("cosine").isNull(), "512 scores per inference: the whole tensor's cosine: " + o);
            }
        }
        assertEquals(worst, f.get("sqnrDb").asDouble(), 1e-9, "the worst output decides");
        assertTrue(worst < 10, "binary weights: " + f);
        assertTrue(j.at("/steps/0/decidedBy").isNull(), "--accept none judges nothing");
    }

    @Test
    void anExactExportOfTheOcrDetectorVerifiesClean() throws Exception {
        Path dir = TestModels.tempDir("fidcli").resolve("ocr");
        // its output is a sigmoid map that random inputs leave near zero: per-row readings of such a map flagged exact exports
        JsonNode j = run("export", ModelCorpus.OCR_DET.path(), "--format", "onnx,ort", "--out", dir, "--samples", 4, "--json").json();
        assertEquals(2, j.get("artifacts").size());
        for (JsonNode a : j.get("artifacts")) {
            JsonNode v = a.get("verification");
            assertTrue(v.get("passed").asBoolean(), v.toString());
            assertEquals("sqnrDb", v.get("decidedBy").asText(), v.toString());
            assertEquals("accuracy>=0.98,sqnrDb>=10", v.get("acceptance").asText());
            assertTrue(v.get("sqnrDb").isNull() || v.get("sqnrDb").asDouble() > 40, v.toString());
            assertEquals(1, v.get("outputs").size(), v.toString());
            assertTrue(v.at("/outputs/0/nearZero").asBoolean(), "random inputs leave the map near zero: " + v);
            assertTrue(v.get("top1Agreement").isNull() && v.get("meanCosine").isNull(), "no argmax or direction of a near-zero map: " + v);
        }

        // a stricter rule of the user's flags the ORT file (written, not hidden): it is close, not identical
        JsonNode strict = run("export", ModelCorpus.OCR_DET.path(), "--format", "ort", "--out", dir.resolve("strict"), "--samples", 2,
                "--accept", "sqnrDb>=200", "--json").json();
        JsonNode v = strict.at("/artifacts/0/verification");
        assertFalse(v.get("passed").asBoolean(), v.toString());
        assertEquals("sqnrDb>=200", v.get("acceptance").asText());
        assertTrue(v.get("note").asText().startsWith("FLAGGED: SQNR ") && v.get("note").asText().contains("is below the bar sqnrDb>=200"), v.toString());
        assertTrue(Files.isRegularFile(dir.resolve("strict/model.ort")));
    }
}
