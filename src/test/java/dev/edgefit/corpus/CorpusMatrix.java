package dev.edgefit.corpus;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgefit.ModelCorpus;
import dev.edgefit.TestModels;
import dev.edgefit.cli.EdgeFitCli;
import dev.edgefit.common.Json;
import dev.edgefit.compress.Technique;
import dev.edgefit.compress.TechniqueRegistry;
import dev.edgefit.export.ExportFormat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs every action a user can take (inspect, eval, estimate, every technique, every export format) on every model of
 * {@link ModelCorpus} through the command line, in this JVM, exactly as a user types it, and sorts each (model, action)
 * pair into worked / refused with a reason / failed. {@link #main} rewrites docs/models.md from it.
 *
 * <p>Worked means exit code 0 and, for a written artifact, a file on disk whose outputs are finite. Refused means a
 * documented exit code with one sentence that says what blocks it. Failed is everything else: an unexpected error, a
 * stack trace, a hang past the time limit, an artifact that gives NaN or infinite outputs, and calling one of these
 * valid published models broken (exit 3), which is what happens when EdgeFit feeds it inputs it cannot take.
 */
public final class CorpusMatrix {
    public enum Outcome { WORKED, REFUSED, FAILED }

    public record Cell(String model, String action, Outcome outcome, String detail) {
    }

    /** Seconds one action may take before it counts as a hang. */
    static final long TIME_LIMIT_S = Long.getLong("edgefit.corpus.timeLimit", 600);

    private CorpusMatrix() {
    }

    public static List<String> actions() {
        List<String> a = new ArrayList<>(List.of("inspect", "eval", "estimate"));
        for (Technique t : TechniqueRegistry.all()) {
            a.add("compress " + t.id());
        }
        for (ExportFormat f : ExportFormat.values()) {
            a.add("export " + f.id());
        }
        return a;
    }

    /** Options a model needs beyond the defaults: only its data, where it has labelled data. */
    static List<String> extraArgs(ModelCorpus.Entry e, String action) {
        List<String> a = new ArrayList<>();
        if (e == ModelCorpus.FASHION_CNN && !action.equals("inspect") && !action.equals("estimate")) {
            a.addAll(List.of("--data", TestModels.sampleData().toString()));
            if (!action.startsWith("export")) {
                a.addAll(List.of("--max-samples", "500"));
            }
        }
        return a;
    }

    public static Cell run(ModelCorpus.Entry e, String action, Path work) {
        Path model = e.path();
        List<String> args = new ArrayList<>();
        String[] verb = action.split(" ", 2);
        Path out = work.resolve(e.id() + "-" + action.replace(' ', '-'));
        switch (verb[0]) {
            case "inspect" -> args.addAll(List.of("inspect", model.toString(), "--json"));
            case "eval" -> args.addAll(List.of("eval", model.toString(), "--runs", "5", "--warmup", "1", "--json"));
            case "estimate" -> args.addAll(List.of("estimate", model.toString(), "--device", "raspberry-pi-4,esp32-s3", "--json"));
            case "compress" -> args.addAll(List.of("compress", model.toString(), "--technique", verb[1], "--out",
                    out + ".onnx", "--runs", "5", "--warmup", "1", "--accept", "none", "--json"));
            case "export" -> args.addAll(List.of("export", model.toString(), "--format", verb[1], "--out", out.toString(),
                    "--samples", "16", "--calibration-samples", "32", "--json"));
            default -> throw new IllegalArgumentException(action);
        }
        args.addAll(extraArgs(e, action));
        ByteArrayOutputStream so = new ByteArrayOutputStream();
        ByteArrayOutputStream se = new ByteArrayOutputStream();
        ExecutorService ex = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "corpus-" + e.id());
            t.setDaemon(true);
            return t;
        });
        int code;
        try {
            Future<Integer> f = ex.submit(() -> EdgeFitCli.run(args.toArray(String[]::new),
                    new PrintStream(so, true, StandardCharsets.UTF_8), new PrintStream(se, true, StandardCharsets.UTF_8)));
            code = f.get(TIME_LIMIT_S, TimeUnit.SECONDS);
        } catch (TimeoutException t) {
            return new Cell(e.id(), action, Outcome.FAILED, "no answer within " + TIME_LIMIT_S + " s");
        } catch (Exception t) {
            return new Cell(e.id(), action, Outcome.FAILED, "threw " + t);
        } finally {
            ex.shutdownNow();
        }
        String err = se.toString(StandardCharsets.UTF_8).strip();
        String stdout = so.toString(StandardCharsets.UTF_8);
        if (err.contains("\tat ") || err.contains("Exception") && err.contains("\n")) {
            return new Cell(e.id(), action, Outcome.FAILED, "stack trace: " + firstLine(err));
        }
        if (code != 0) {
            String sentence = firstLine(err).replaceFirst("^edgefit: ", "");
            // every corpus model is a valid published model that ONNX Runtime runs: calling it broken is a failure
            if (code == EdgeFitCli.OTHER || code == EdgeFitCli.BAD_MODEL || sentence.startsWith("Unexpected error")
                    || sentence.isEmpty()) {
                return new Cell(e.id(), action, Outcome.FAILED, "exit " + code + ": " + relative(sentence, model, work));
            }
            return new Cell(e.id(), action, Outcome.REFUSED, "exit " + code + ": " + relative(sentence, model, work));
        }
        try {
            JsonNode j = Json.mapper().readTree(stdout);
            return new Cell(e.id(), action, Outcome.WORKED, summary(verb[0], j, out));
        } catch (IOException io) {
            return new Cell(e.id(), action, Outcome.FAILED, "exit 0 but stdout is not one JSON document");
        } catch (IllegalStateException bad) {
            return new Cell(e.id(), action, Outcome.FAILED, bad.getMessage());
        }
    }

    /** A short, machine-independent description of what worked (sizes, no timings). */
    static String summary(String verb, JsonNode j, Path out) {
        switch (verb) {
            case "inspect" -> {
                return "params " + text(j.path("parameters")) + ", MACs " + text(j.path("macs"));
            }
            case "compress" -> {
                Path f = Path.of(out + ".onnx");
                if (!Files.isRegularFile(f)) {
                    throw new IllegalStateException("exit 0 but no artifact at " + f.getFileName());
                }
                checkFinite(j);
                JsonNode fid = j.path("after").path("fidelity");
                if (fid.isMissingNode() || fid.isNull()) {
                    JsonNode steps = j.path("steps");
                    fid = steps.path(steps.size() - 1).path("metrics").path("fidelity");
                }
                if (!fid.path("relL2").isNumber() && !fid.path("identical").asBoolean(false)) {
                    // the JSON writes a non-finite figure as null: outputs that are NaN or infinite where the source's are not
                    throw new IllegalStateException("exit 0 but the artifact's outputs are not finite (relL2 " + fid.path("relL2") + ")");
                }
                return String.format(Locale.ROOT, "%,d bytes", size(f));
            }
            case "export" -> {
                if (!Files.isDirectory(out)) {
                    throw new IllegalStateException("exit 0 but no export folder");
                }
                checkFinite(j);
                List<String> flagged = new ArrayList<>();
                for (JsonNode a : j.path("artifacts")) {
                    JsonNode v = a.path("verification");
                    if (v.path("passed").isBoolean() && !v.path("passed").asBoolean()) {
                        flagged.add(Path.of(a.path("path").asText()).getFileName() + " by " + v.path("decidedBy").asText("?"));
                    }
                }
                return flagged.isEmpty() ? "verified" : "flagged: " + String.join(", ", flagged);
            }
            default -> {
                checkFinite(j);
                return "";
            }
        }
    }

    private static String text(JsonNode n) {
        return n.isMissingNode() || n.isNull() ? "not measured" : String.format(Locale.ROOT, "%,d", n.asLong());
    }

    /** Any fidelity figure that came out NaN (written as null by the JSON writer only where unmeasured) fails. */
    private static void checkFinite(JsonNode j) {
        String s = j.toString();
        if (s.contains("NaN") || s.contains("Infinity\"") && s.contains("-Infinity")) {
            throw new IllegalStateException("non-finite figures in the result");
        }
    }

    private static long size(Path f) {
        try {
            return Files.size(f);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** The sentence without this machine's folders: the model by its file name, the output folder as OUT. */
    private static String relative(String sentence, Path model, Path work) {
        return sentence.replace(model.toString(), model.getFileName().toString())
                .replace(work.toAbsolutePath().toString(), "OUT").replace(work.toString(), "OUT")
                .replace(TestModels.root().toString() + "/", "");
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    public static List<Cell> runAll(List<ModelCorpus.Entry> models, Path work, PrintStream log) {
        List<Cell> cells = new ArrayList<>();
        for (ModelCorpus.Entry e : models) {
            for (String a : actions()) {
                long t0 = System.nanoTime();
                Cell c = run(e, a, work);
                cells.add(c);
                if (log != null) {
                    log.printf(Locale.ROOT, "%-20s %-22s %-8s %5.1f s  %s%n", e.id(), a, c.outcome(),
                            (System.nanoTime() - t0) / 1e9, c.detail());
                }
            }
        }
        return cells;
    }

    /** docs/models.md: the corpus, then the (model, action) table, then every refusal's sentence. */
    public static String markdown(List<ModelCorpus.Entry> models, List<Cell> cells) {
        StringBuilder sb = new StringBuilder();
        sb.append("# Real models: what works\n\n");
        sb.append("Every action a user can take, run through the command line on published ONNX models of different kinds. ")
                .append("Regenerate with `mvn test -Dtest=CorpusMatrixTest -Dedgefit.regenerate=true`; ")
                .append("`mvn test` fails when this page and the product disagree.\n\n");
        sb.append("**worked**: exit 0 and the artifact runs with finite outputs (steps are run with `--accept none`, so a step is ")
                .append("written whatever its fidelity); **worked, flagged**: an export whose verification against the source missed ")
                .append("the default export rule (accuracy with labels, else SQNR >= 10 dB of the worst output), listed below; ")
                .append("**refused**: one sentence naming what blocks it (below); **FAILED**: anything else.\n\n");
        sb.append("| model | kind | source | notes |\n|---|---|---|---|\n");
        for (ModelCorpus.Entry e : models) {
            sb.append("| ").append(e.id()).append(" | ").append(e.kind()).append(" | ").append(e.source()).append(" | ")
                    .append(e.note()).append(" |\n");
        }
        List<String> actions = actions();
        Map<String, Map<String, Cell>> by = new LinkedHashMap<>();
        for (Cell c : cells) {
            by.computeIfAbsent(c.model(), k -> new LinkedHashMap<>()).put(c.action(), c);
        }
        sb.append("\n| action |");
        for (ModelCorpus.Entry e : models) {
            sb.append(' ').append(e.id()).append(" |");
        }
        sb.append("\n|---|");
        sb.append("---|".repeat(models.size()));
        sb.append('\n');
        for (String a : actions) {
            sb.append("| ").append(a).append(" |");
            for (ModelCorpus.Entry e : models) {
                Cell c = by.getOrDefault(e.id(), Map.of()).get(a);
                sb.append(' ').append(c == null ? "" : switch (c.outcome()) {
                    case WORKED -> c.detail().startsWith("flagged") ? "worked, flagged" : "worked";
                    case REFUSED -> "refused";
                    case FAILED -> "**FAILED**";
                }).append(" |");
            }
            sb.append('\n');
        }
        long w = cells.stream().filter(c -> c.outcome() == Outcome.WORKED).count();
        long r = cells.stream().filter(c -> c.outcome() == Outcome.REFUSED).count();
        long f = cells.stream().filter(c -> c.outcome() == Outcome.FAILED).count();
        sb.append(String.format(Locale.ROOT, "%nTotal: %d pairs, %d worked, %d refused with a reason, %d failed.%n", cells.size(), w, r, f));
        sb.append("\n## Refusals, flags and failures, as the command line says them\n\n");
        for (Cell c : cells) {
            if (c.outcome() != Outcome.WORKED || c.detail().startsWith("flagged")) {
                sb.append("- ").append(c.model()).append(", `").append(c.action()).append("`: ")
                        .append(c.outcome() == Outcome.FAILED ? "**FAILED** " : "").append(c.detail().replace("|", "\\|"))
                        .append('\n');
            }
        }
        return sb.toString();
    }

    /** Rewrites docs/models.md. */
    public static void main(String[] args) throws Exception {
        Path work = TestModels.tempDir("corpus");
        List<Cell> cells = runAll(ModelCorpus.all(), work, System.out);
        Files.writeString(TestModels.root().resolve("docs/models.md"), markdown(ModelCorpus.all(), cells));
    }
}
