package dev.edgefit.cli;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import dev.edgefit.common.Json;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs the command line in this JVM, as a script would see it: exit code, stdout and stderr. */
record CliRun(int code, String out, String err) {

    static CliRun run(Object... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String[] a = Arrays.stream(args).map(String::valueOf).toArray(String[]::new);
        int code = EdgeFitCli.run(a, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new CliRun(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** stdout as exactly one JSON document (trailing text fails); the command must have succeeded. */
    JsonNode json() throws Exception {
        assertEquals(0, code, "exit code; stderr: " + err);
        return parseOneDocument(out);
    }

    static JsonNode parseOneDocument(String text) throws Exception {
        return Json.mapper().reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .without(JsonParser.Feature.ALLOW_NON_NUMERIC_NUMBERS).readTree(text);
    }

    /** A failure: the exit code, nothing on stdout, one line on stderr with no stack trace, naming each fragment. */
    CliRun assertError(int expectedCode, String... fragments) {
        assertEquals(expectedCode, code, "exit code; stderr: " + err);
        assertEquals("", out, "nothing on stdout");
        String[] lines = err.strip().split("\\R");
        assertEquals(1, lines.length, "one line on stderr, got: " + err);
        assertTrue(lines[0].startsWith("edgefit: "), lines[0]);
        assertNoStackTrace(err);
        for (String f : fragments) {
            assertTrue(err.contains(f), "'" + f + "' in: " + err);
        }
        return this;
    }

    /** A usage error: exit 2, one line of problem and one "Try 'edgefit CMD --help'." line. */
    CliRun assertUsageError(String command, String... fragments) {
        assertEquals(EdgeFitCli.USAGE, code, "exit code; stderr: " + err);
        assertEquals("", out, "nothing on stdout");
        String[] lines = err.strip().split("\\R");
        assertEquals(2, lines.length, "problem + hint, got: " + err);
        assertTrue(lines[0].startsWith("edgefit: "), lines[0]);
        assertEquals("Try '" + command + " --help'.", lines[1]);
        assertNoStackTrace(err);
        for (String f : fragments) {
            assertTrue(lines[0].contains(f), "'" + f + "' in: " + lines[0]);
        }
        return this;
    }

    static void assertNoStackTrace(String err) {
        assertFalse(err.contains("Exception") || err.contains("\tat ") || err.matches("(?s).*\\n\\s*at .*"), "no stack trace: " + err);
    }
}
