package dev.edgefit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgefit.TestModels;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The command line as a script meets it: a separate JVM through dev.edgefit.Main, real exit codes, and stdout that
 * holds one JSON document and nothing else (native libraries write to the process's own streams, which the
 * in-process tests cannot see).
 */
class CliProcessTest {
    record Proc(int code, String out, String err) {
    }

    static Proc edgefit(Object... args) throws Exception {
        return edgefitIn(TestModels.root(), args);
    }

    /** Runs with {@code root} as the install folder (where device-profiles/ and assets/ are looked up). */
    static Proc edgefitIn(Path root, Object... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("-Dedgefit.root=" + root);
        // an empty configuration folder: the user's own profiles and recent files are not part of the test
        cmd.add("-D" + dev.edgefit.common.AppPaths.CONFIG_PROPERTY + "=" + TestModels.tempDir("cliconfig"));
        cmd.add("dev.edgefit.Main");
        for (Object a : args) {
            cmd.add(String.valueOf(a));
        }
        Path dir = TestModels.tempDir("cliproc");
        File out = dir.resolve("stdout").toFile();
        File err = dir.resolve("stderr").toFile();
        Process p = new ProcessBuilder(cmd).directory(TestModels.root().toFile()).redirectOutput(out).redirectError(err).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "finished: " + cmd);
        return new Proc(p.exitValue(), Files.readString(out.toPath(), StandardCharsets.UTF_8), Files.readString(err.toPath(), StandardCharsets.UTF_8));
    }

    @Test
    void jsonOnStdoutAndNothingElse() throws Exception {
        Proc r = edgefit("eval", TestModels.sampleCnn(), "--data", TestModels.sampleData(), "--max-samples", 200, "--runs", 3, "--warmup", 1, "--json");
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.err(), "no progress or log lines when stderr is not a terminal");
        JsonNode j = CliRun.parseOneDocument(r.out());
        assertEquals(200, j.get("accuracySamples").asInt());
        assertTrue(j.at("/latencyMs/p50").asDouble() > 0);
    }

    @Test
    void aBrokenDeviceProfileIsOneLineAndTheOthersAreListed() throws Exception {
        Path pi = TestModels.root().resolve("device-profiles/raspberry-pi-4.yaml");
        assertTrue(Files.isRegularFile(pi), "the bundled Raspberry Pi profile");
        Path root = TestModels.tempDir("cliroot");
        Path profiles = Files.createDirectories(root.resolve("device-profiles"));
        Files.copy(pi, profiles.resolve("pi.yaml"));
        Files.writeString(profiles.resolve("broken.yaml"), "name: Broken board\nplatform: toaster\n");
        Files.writeString(profiles.resolve("garbled.yaml"), "name: [unclosed\n");
        Proc r = edgefitIn(root, "devices", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = CliRun.parseOneDocument(r.out());
        assertEquals(1, j.size());
        assertEquals("pi", j.at("/0/id").asText());
        List<String> lines = r.err().strip().lines().toList();
        for (String l : lines) {
            assertTrue(l.startsWith("edgefit: ") && (l.contains("broken.yaml: ") || l.contains("garbled.yaml: ")), "one problem a line: " + l);
        }
        assertTrue(lines.stream().anyMatch(l -> l.contains("broken.yaml: platform 'toaster'")), r.err());
        assertEquals(1, lines.stream().filter(l -> l.contains("garbled.yaml")).count(), r.err());
        CliRun.assertNoStackTrace(r.err());
    }

    @Test
    void anErrorIsOneLineAndAnExitCode() throws Exception {
        Path text = TestModels.tempDir("cliproc").resolve("readme.onnx");
        Files.writeString(text, "# just text\n");
        Proc r = edgefit("inspect", text, "--json");
        assertEquals(EdgeFitCli.BAD_MODEL, r.code());
        assertEquals("", r.out());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith("edgefit: ") && r.err().contains("readme.onnx"), r.err());
        CliRun.assertNoStackTrace(r.err());
    }
}
