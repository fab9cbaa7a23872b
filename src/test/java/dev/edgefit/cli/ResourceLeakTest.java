package dev.edgefit.cli;

import dev.edgefit.TestModels;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static dev.edgefit.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.*;

/** What a command leaves behind in the temp folder and in its output folder when it fails late. */
class ResourceLeakTest {

    /** ONNX Runtime's loader extracts its natives into java.io.tmpdir/onnxruntime-java*; an eval (and its memory probe) leaves none. */
    @Test
    void evalLeavesNoOnnxRuntimeFolderInTheTempFolder() throws Exception {
        Path tmp = TestModels.tempDir("ort-tmp");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Djava.io.tmpdir=" + tmp,
                "-D" + dev.edgefit.common.AppPaths.CONFIG_PROPERTY + "=" + TestModels.tempDir("leakconfig"),
                "dev.edgefit.Main", "eval", TestModels.sampleCnn().toString(), "--runs", "1", "--warmup", "0", "--json"));
        File log = tmp.resolveSibling(tmp.getFileName() + ".log").toFile();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), Files.readString(log.toPath()));
        assertTrue(CliRun.parseOneDocument(Files.readString(log.toPath())).get("peakMemoryBytes").isNumber(),
                "the memory probe ran in a child process (which starts ONNX Runtime too)");
        try (Stream<Path> s = Files.list(tmp)) {
            List<String> left = s.map(x -> x.getFileName().toString()).filter(n -> n.startsWith("onnxruntime-java")).toList();
            assertEquals(List.of(), left, "ONNX Runtime folders left in the temp folder");
        }
    }

    /** A report that fails at its very end (report.html cannot be written) leaves no steps/, artifacts or report.json. */
    @Test
    void aFailedReportLeavesNothingOfItself() throws Exception {
        Path out = TestModels.tempDir("report-late");
        Path html = out.resolve("report.html");
        assertEquals(0, new ProcessBuilder("mkfifo", html.toString()).start().waitFor());
        run("report", TestModels.sampleCnn(), "--technique", "fp16", "--runs", "1", "--out", out, "--json")
                .assertError(EdgeFitCli.IO, "report.html", "not a regular file");
        try (Stream<Path> s = Files.list(out)) {
            assertEquals(List.of(html), s.toList(), "only what was there before");
        }
        Path fresh = TestModels.tempDir("report-late2").resolve("new");
        Files.createDirectories(fresh);
        Path pipe2 = fresh.resolve("report.json");
        assertEquals(0, new ProcessBuilder("mkfifo", pipe2.toString()).start().waitFor());
        run("report", TestModels.sampleCnn(), "--runs", "1", "--out", fresh, "--json").assertError(EdgeFitCli.IO, "report.json");
        assertFalse(Files.exists(fresh.resolve("steps")), "no steps/ folder");
    }
}
