package dev.edgefit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgefit.ModelCorpus;
import dev.edgefit.TestModels;
import dev.edgefit.data.InputGeneratorTest;
import dev.edgefit.data.NpyTest;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static dev.edgefit.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.*;

/** Generated and user-set inputs on the command line: models with state, sample-rate and non-float inputs. */
class InputsCliTest {
    @Test
    void sileroVadsAreInspectedAndEvaluatedWithNoOptions() throws Exception {
        for (ModelCorpus.Entry vad : new ModelCorpus.Entry[] {ModelCorpus.VAD_LEGACY, ModelCorpus.VAD_V5}) {
            JsonNode i = run("inspect", vad.path(), "--json").json();
            assertTrue(i.get("note").isNull(), vad.id() + " ran on its generated inputs: " + i.get("note"));
            JsonNode branch = null;
            for (JsonNode l : i.get("layers")) {
                branch = l.get("opType").asText().equals("If") ? l : branch;
            }
            assertEquals("[1,1]", branch.get("outputShape").toString().replace(" ", ""), "the If's output: a speech probability, batch 1");
            JsonNode e = run("eval", vad.path(), "--runs", 3, "--warmup", 1, "--json").json();
            assertTrue(e.at("/latencyMs/p50").asDouble() > 0, vad.id() + ": " + e);
        }
    }

    @Test
    void theSampleRateReachesTheModelAndARefusedRunNamesTheInputs() {
        Path v5 = ModelCorpus.VAD_V5.path();
        // at 8 kHz the generated window is 256 samples, which the 8 kHz branch takes ...
        assertEquals(0, run("eval", v5, "--input", "sr=8000", "--runs", 2, "--warmup", 0, "--json").code());
        // ... and 512 samples, which the 16 kHz branch takes, are refused there: the value given reached the model
        run("eval", v5, "--input", "sr=8000", "--shape", "input=1x512", "--runs", 2).assertError(EdgeFitCli.BAD_MODEL,
                "silero-vad-v5.onnx", "'input' float[1x512]", "'state' float[2x1x128]", "'sr' int64[]", "LSTM",
                "--shape NAME=DIMS", "--input NAME=VALUE|FILE.npy");
    }

    @Test
    void aModelOfUint8Int8Float16BoolAndInt32InputsIsInspectedAndEvaluated() throws Exception {
        Path typed = InputGeneratorTest.typedModelFile();
        JsonNode i = run("inspect", typed, "--json").json();
        assertTrue(i.get("note").isNull(), String.valueOf(i.get("note")));
        assertEquals("uint8", i.at("/inputs/0/dtype").asText());
        assertEquals("[1,3,8,8]", i.at("/layers/8/outputShape").toString().replace(" ", ""), i.toString());
        JsonNode e = run("eval", typed, "--reference", typed, "--runs", 2, "--warmup", 0, "--fidelity-samples", 2, "--json").json();
        assertEquals(1.0, e.at("/fidelity/top1Agreement").asDouble(), 0.0, e.toString());

        // an array given for 'image' sets its batch, and so the batch of every input that shares the dimension N
        Path npy = TestModels.tempDir("cli-npy").resolve("two.npy");
        java.nio.file.Files.write(npy, NpyTest.npy("|u1", new long[] {2, 3, 8, 8}, new byte[384], 1));
        JsonNode two = run("inspect", typed, "--input", "image=" + npy, "--json").json();
        assertTrue(two.get("note").isNull(), String.valueOf(two.get("note")));
        assertEquals("[2,3,8,8]", two.at("/layers/8/outputShape").toString().replace(" ", ""));
    }

    @Test
    void badInputsAreOneSentenceAndExitTwo() throws Exception {
        Path typed = InputGeneratorTest.typedModelFile();
        run("inspect", typed, "--input", "pixels=3").assertError(EdgeFitCli.USAGE, "--input pixels", "typed.onnx", "no input named 'pixels'",
                "image, q, half, flag, count");
        run("eval", typed, "--input", "count=lots").assertError(EdgeFitCli.USAGE, "--input count=lots", "neither a number nor a .npy file");
        run("eval", typed, "--input", "image=300").assertError(EdgeFitCli.USAGE, "image", "uint8", "300");
        Path wrong = NpyTest.writeFloats(TestModels.tempDir("cli-npy").resolve("wrong.npy"), new long[] {1, 3, 4, 4}, new float[48]);
        run("eval", typed, "--input", "half=" + wrong).assertError(EdgeFitCli.USAGE, "half", "wrong.npy", "axis 2");
        run("compress", typed, "--technique", "fp16", "--out", TestModels.tempDir("cli-npy").resolve("o.onnx"), "--input",
                "half=" + wrong.resolveSibling("none.npy")).assertError(EdgeFitCli.USAGE, "--input half", "none.npy: does not exist");
        run("estimate", typed, "--device", "raspberry-pi-4", "--shape", "flag=1x1x1").assertError(EdgeFitCli.USAGE, "flag", "4 dimensions");
        run("export", typed, "--format", "onnx", "--out", TestModels.tempDir("cli-npy"), "--input", "q=").assertError(EdgeFitCli.USAGE,
                "--input takes NAME=VALUE");
        run("report", typed, "--out", TestModels.tempDir("cli-npy"), "--shape", "count=1x1x1x1", "--shape", "count=2x1x1x1")
                .assertError(EdgeFitCli.USAGE, "twice");
    }

    @Test
    void onnxRuntimesOwnLogNeverReachesTheTerminal() throws Exception {
        Path v5 = ModelCorpus.VAD_V5.path();
        // 100 samples are too few for the model's STFT: the measuring run fails inside ONNX Runtime
        CliProcessTest.Proc inspect = CliProcessTest.edgefit("inspect", v5, "--shape", "input=1x100", "--json");
        assertEquals(0, inspect.code(), inspect.err());
        assertEquals("", inspect.err(), "nothing from ONNX Runtime on stderr");
        JsonNode j = CliRun.parseOneDocument(inspect.out());
        assertTrue(j.get("note").asText().contains("'input' float[1x100]"), j.get("note").asText());

        CliProcessTest.Proc eval = CliProcessTest.edgefit("eval", v5, "--shape", "input=1x100", "--runs", 1);
        assertEquals(EdgeFitCli.BAD_MODEL, eval.code(), eval.err());
        assertFalse(eval.err().contains("onnxruntime:"), eval.err());
        assertEquals(1, eval.err().strip().lines().count(), "one sentence: " + eval.err());
        assertTrue(eval.err().startsWith("edgefit: ") && eval.err().contains("--shape NAME=DIMS"), eval.err());
    }
}
