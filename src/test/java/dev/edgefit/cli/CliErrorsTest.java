package dev.edgefit.cli;

import dev.edgefit.TestModels;
import dev.edgefit.data.IdxReader;
import dev.edgefit.model.OnnxModels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static dev.edgefit.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.*;

/** Bad input of every kind: one sentence on stderr naming the file and the problem, an exit code, nothing on stdout, nothing written. */
class CliErrorsTest {
    static Path dir;
    static Path text;
    static Path cut;
    static byte[] sample;

    @BeforeAll
    static void files() throws Exception {
        dir = TestModels.tempDir("clibad");
        text = dir.resolve("notes.onnx");
        Files.writeString(text, "not a model, just some notes\n");
        sample = Files.readAllBytes(TestModels.sampleCnn());
        cut = dir.resolve("cut.onnx");
        Files.write(cut, Arrays.copyOf(sample, sample.length / 3));
    }

    @Test
    void aTextFileIsNotAModel() {
        run("inspect", text, "--json").assertError(EdgeFitCli.BAD_MODEL, "notes.onnx", "not an ONNX model");
        run("inspect", text).assertError(EdgeFitCli.BAD_MODEL, "notes.onnx", "not an ONNX model");
        run("eval", text, "--json").assertError(EdgeFitCli.BAD_MODEL, "notes.onnx");
        Path out = dir.resolve("from-text.onnx");
        run("compress", text, "--technique", "fp16", "--out", out, "--json").assertError(EdgeFitCli.BAD_MODEL, "notes.onnx");
        assertFalse(Files.exists(out), "nothing written");
        run("eval", TestModels.sampleCnn(), "--reference", text, "--json").assertError(EdgeFitCli.BAD_MODEL, "notes.onnx");
    }

    @Test
    void aTruncatedOrMissingModel() {
        run("inspect", cut, "--json").assertError(EdgeFitCli.BAD_MODEL, "cut.onnx");
        run("eval", cut, "--json").assertError(EdgeFitCli.BAD_MODEL, "cut.onnx");
        run("eval", dir.resolve("nowhere.onnx")).assertError(EdgeFitCli.BAD_MODEL, "nowhere.onnx", "does not exist");
        Path ort = dir.resolve("model.ort");
        dev.edgefit.runtime.OrtRunner.writeOptimized(TestModels.sampleCnn(), ort, dev.edgefit.runtime.RunnerOptions.OptLevel.BASIC, true);
        run("eval", ort, "--json").assertError(EdgeFitCli.BAD_MODEL, "model.ort", "ORT-format", ".onnx");
    }

    @Test
    void techniquesAndParametersAreChecked() throws Exception {
        Path out = dir.resolve("x.onnx");
        run("compress", TestModels.sampleCnn(), "--technique", "nope", "--out", out).assertError(EdgeFitCli.USAGE,
                "Unknown technique 'nope'", "int8-dynamic");
        run("compress", TestModels.sampleCnn(), "--technique", "int4", "--param", "block-size=7", "--out", out, "--json")
                .assertError(EdgeFitCli.USAGE, "block-size", "int4", "16, 32, 64, 128");
        run("compress", TestModels.sampleCnn(), "--technique", "fp16", "--param", "colour=blue", "--out", out)
                .assertError(EdgeFitCli.USAGE, "fp16", "colour", "min-elements");
        run("compress", TestModels.sampleCnn(), "--technique", "fp16", "--param", "min-elements", "--out", out)
                .assertError(EdgeFitCli.USAGE, "KEY=VALUE");
        run("compress", TestModels.sampleCnn(), "--technique", "fp16", "--param", "min-elements=1", "--param", "min-elements=2", "--out", out)
                .assertError(EdgeFitCli.USAGE, "twice");
        run("compress", TestModels.sampleCnn(), "--pipeline", "fp16,int4", "--param", "block-size=64", "--out", out)
                .assertError(EdgeFitCli.USAGE, "ID.KEY=VALUE");
        run("compress", TestModels.sampleCnn(), "--pipeline", "fp16,int4", "--param", "int8-static.samples=5", "--out", out)
                .assertError(EdgeFitCli.USAGE, "int8-static", "fp16, int4");
        run("compress", TestModels.sampleCnn(), "--out", out).assertError(EdgeFitCli.USAGE, "--technique");
        run("compress", TestModels.sampleCnn(), "--technique", "fp16", "--threshold", "1.5", "--out", out).assertError(EdgeFitCli.USAGE, "--threshold");
        run("compress", TestModels.sampleCnn(), "--technique", "fp16", "--accept", "relL2>=0.1", "--out", out).assertError(EdgeFitCli.USAGE, "--accept",
                "relL2<=0.1");
        run("compress", TestModels.sampleCnn(), "--technique", "fp16", "--accept", "sqnrDb>=20", "--threshold", "0.9", "--out", out)
                .assertError(EdgeFitCli.USAGE, "not both");
        assertFalse(Files.exists(out), "no file left behind");
        try (var s = Files.list(dir)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".x.onnx")), "no temp file left behind");
        }
    }

    @Test
    void aFloat16GraphThatOverflowsLeavesNoFile() throws Exception {
        Path src = TestModels.tempDir("clierr").resolve("overflow.onnx");
        OnnxModels.save(dev.edgefit.compress.Fp16Test.overflowing(), src);
        Path out = src.resolveSibling("overflow-fp16.onnx");
        run("compress", src, "--technique", "fp16", "--param", "mode=graph", "--out", out, "--runs", 1, "--warmup", 0)
                .assertError(EdgeFitCli.NOT_APPLICABLE, "NaN or infinite", "mode=weights");
        assertFalse(Files.exists(out), "no file left behind");
        try (var files = Files.list(src.getParent())) {
            assertEquals(List.of(src), files.toList(), "nothing else either");
        }
    }

    @Test
    void theSourceIsNeverTheOutput() throws Exception {
        Path src = dir.resolve("model.onnx");
        Files.write(src, sample);
        run("compress", src, "--technique", "fp16", "--out", src).assertError(EdgeFitCli.USAGE, "never overwrites");
        run("compress", src, "--technique", "fp16", "--out", dir.resolve("sub/../model.onnx")).assertError(EdgeFitCli.USAGE, "never overwrites");
        Path link = dir.resolve("link.onnx");
        Files.createSymbolicLink(link, src);
        run("compress", src, "--technique", "fp16", "--out", link).assertError(EdgeFitCli.USAGE, "never overwrites");
        run("compress", src, "--technique", "fp16", "--out", dir).assertError(EdgeFitCli.USAGE, "is a folder");
        run("compress", src, "--technique", "fp16", "--out", dir.resolve("m.ort")).assertError(EdgeFitCli.USAGE, "export --format ort");
        assertArrayEquals(sample, Files.readAllBytes(src), "the source is unchanged");
    }

    @Test
    void aDatasetOfTheWrongShape() throws Exception {
        // Fashion images (1x28x28) for MiniLM's token inputs
        run("eval", TestModels.miniLm(), "--data", TestModels.sampleData(), "--json").assertError(EdgeFitCli.BAD_DATASET, "fashion-mnist-2k");
        // the right kind of data in the wrong shape: 2x14x14 images for a 1x28x28 model
        Path small = dir.resolve("small");
        IdxReader.write(small.resolve("images.idx3-ubyte"), new int[] {3, 14, 14, 2}, new byte[3 * 14 * 14 * 2], false);
        run("eval", TestModels.sampleCnn(), "--data", small).assertError(EdgeFitCli.BAD_DATASET, "images.idx3-ubyte", "2x14x14", "batchx1x28x28");
        Path out = dir.resolve("never.onnx");
        run("compress", TestModels.sampleCnn(), "--technique", "fp16", "--data", small, "--out", out, "--json")
                .assertError(EdgeFitCli.BAD_DATASET, "images.idx3-ubyte");
        assertFalse(Files.exists(out));
        run("eval", TestModels.sampleCnn(), "--data", dir.resolve("no-such-folder")).assertError(EdgeFitCli.BAD_DATASET, "no-such-folder");
    }

    @Test
    void anOperatorOnnxRuntimeDoesNotKnow() {
        var m = OnnxModels.load(TestModels.sampleCnn());
        var gb = m.graph().toBuilder();
        gb.setNode(4, gb.getNode(4).toBuilder().setOpType("FancyPool"));
        Path odd = dir.resolve("odd-op.onnx");
        OnnxModels.save(m.derive(m.proto().toBuilder().setGraph(gb).build(), "odd"), odd);
        run("eval", odd, "--data", TestModels.sampleData()).assertError(EdgeFitCli.UNSUPPORTED_OPERATOR, "odd-op.onnx", "FancyPool", "not supported");
    }

    @Test
    void usageErrors() {
        run("eval").assertUsageError("edgefit eval", "MODEL");
        run("eval", TestModels.sampleCnn(), "--bogus").assertUsageError("edgefit eval", "--bogus");
        run("eval", TestModels.sampleCnn(), "--runs", "many").assertUsageError("edgefit eval", "--runs", "many");
        run("compress", TestModels.sampleCnn(), "--technique", "fp16").assertUsageError("edgefit compress", "--out");
        run("frobnicate").assertUsageError("edgefit", "Unknown command 'frobnicate'", "inspect", "techniques");
        run("eval", TestModels.sampleCnn(), "--reference", TestModels.miniLm(), "--json").assertError(EdgeFitCli.USAGE,
                "cannot be compared", "fashion_cnn.onnx", "input_ids");
        run("eval", TestModels.sampleCnn(), "--runs", 0).assertError(EdgeFitCli.USAGE, "--runs", "at least 1");
        run("eval", TestModels.sampleCnn(), "--warmup", -1).assertError(EdgeFitCli.USAGE, "--warmup");
        run("eval", TestModels.sampleCnn(), "--shape", "pixels=1x1x28x28").assertError(EdgeFitCli.USAGE, "pixels", "input");
        run("inspect", TestModels.sampleCnn(), "--shape", "input=1xtwo").assertError(EdgeFitCli.USAGE, "--shape");
    }

    @Test
    void exitCodesByKind() {
        assertEquals(1, EdgeFitCli.exitCode(new IllegalStateException("x")));
        assertEquals(2, EdgeFitCli.exitCode(dev.edgefit.common.EdgeFitException.badParameter("x")));
        assertEquals(5, EdgeFitCli.exitCode(new RuntimeException(dev.edgefit.common.EdgeFitException.badDataset(dir, "x"))), "found in the cause chain");
        assertEquals("a b c", EdgeFitCli.oneLine(" a\n b \r\nc "));
    }
}
