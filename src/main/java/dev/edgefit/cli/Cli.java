package dev.edgefit.cli;

import dev.edgefit.common.EdgeFitException;
import dev.edgefit.common.Json;
import dev.edgefit.common.Progress;
import dev.edgefit.data.Dataset;
import dev.edgefit.data.Datasets;
import dev.edgefit.data.Preprocessing;
import dev.edgefit.eval.Acceptance;
import dev.edgefit.eval.Fidelity;
import dev.edgefit.eval.OutputFidelity;
import dev.edgefit.eval.Latency;
import dev.edgefit.eval.Metrics;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.OnnxModels;
import dev.edgefit.model.TensorSpec;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the commands share: output, the JSON shape of {@link Metrics} (one place, used by eval, compress, export and
 * report), data opening, shape parsing, option checks and progress on a terminal.
 */
final class Cli {
    /** True while a progress line without its newline is on stderr (so that an error starts on a line of its own). */
    private static volatile boolean progressLineOpen;

    private Cli() {
    }

    /** Prints {@code value} as the command's one JSON document on stdout. */
    static void json(CommandLine.Model.CommandSpec spec, Object value) {
        PrintWriter out = spec.commandLine().getOut();
        out.println(Json.write(value));
        out.flush();
    }

    static PrintWriter out(CommandLine.Model.CommandSpec spec) {
        return spec.commandLine().getOut();
    }

    /**
     * The dataset at {@code path}, preprocessed as the model's {@code edgefit.preprocessing} metadata says (or the
     * default: pixels / 255, NCHW); null when {@code path} is null. Malformed metadata is refused either way, so that
     * no command measures, compresses or exports a model whose preprocessing description is broken.
     */
    static Dataset data(Path path, ModelSnapshot model) {
        Preprocessing pp = preprocessing(model);
        if (path == null) {
            return null;
        }
        return Datasets.open(path, pp);
    }

    /**
     * Loads an ONNX model given on the command line. An ORT-format file gets its own sentence: these commands read
     * ONNX (the graph, its weights and metadata), and ORT format is an output of export, verified there.
     */
    static ModelSnapshot load(Path file) {
        if (file.getFileName() != null && file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".ort")) {
            throw EdgeFitException.badModel(file, "is an ORT-format file; give the .onnx model it was made from "
                    + "('edgefit export --format ort' writes and verifies .ort files).");
        }
        return OnnxModels.load(file);
    }

    /** The model's preprocessing; a malformed description is a problem of the model file, named as such. */
    static Preprocessing preprocessing(ModelSnapshot model) {
        String pp = model.metadata(Preprocessing.METADATA_KEY);
        if (pp == null) {
            return Preprocessing.DEFAULT;
        }
        try {
            return Preprocessing.fromJson(pp);
        } catch (EdgeFitException e) {
            throw new EdgeFitException(EdgeFitException.Kind.BAD_MODEL, (model.origin() == null ? "The model" : model.origin().toString())
                    + ": its " + Preprocessing.METADATA_KEY + " metadata is not usable: " + e.getMessage(), e);
        }
    }

    /**
     * Refuses a reference that cannot be compared with the model: fidelity runs both on the same inputs and compares
     * every output (by name, else by position), so the inputs must have the same names, types and ranks, and the
     * outputs the same ranks and the same fixed dimensions.
     */
    static void checkReference(ModelSnapshot model, Path modelFile, ModelSnapshot reference, Path referenceFile) {
        String why = null;
        List<TensorSpec> a = model.inputs();
        List<TensorSpec> b = reference.inputs();
        if (a.size() != b.size()) {
            why = "inputs";
        } else {
            for (TensorSpec x : a) {
                TensorSpec y = b.stream().filter(t -> t.name().equals(x.name())).findFirst().orElse(null);
                if (y == null || y.dtype() != x.dtype() || !compatible(x.shape(), y.shape())) {
                    why = "inputs";
                    break;
                }
            }
        }
        if (why == null) {
            // every output is compared: by name when the names agree, else by position
            List<TensorSpec> x = model.outputs();
            List<TensorSpec> y = reference.outputs();
            boolean byName = x.stream().map(TensorSpec::name).toList().containsAll(y.stream().map(TensorSpec::name).toList());
            if (x.size() != y.size() && !byName) {
                why = "outputs";
            }
            for (int i = 0; why == null && i < y.size(); i++) {
                String name = y.get(i).name();
                TensorSpec o = byName ? x.stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow() : x.get(i);
                if (!compatible(o.shape(), y.get(i).shape())) {
                    why = "outputs";
                }
            }
        }
        if (why != null) {
            boolean in = why.equals("inputs");
            throw EdgeFitException.badParameter("--reference " + referenceFile + " cannot be compared with " + modelFile + ": their " + why
                    + " differ (" + signature(in ? model.inputs() : model.outputs()) + " vs "
                    + signature(in ? reference.inputs() : reference.outputs()) + ").");
        }
    }

    private static boolean compatible(long[] x, long[] y) {
        if (x.length != y.length) {
            return false;
        }
        for (int i = 0; i < x.length; i++) {
            if (x[i] >= 0 && y[i] >= 0 && x[i] != y[i]) {
                return false;
            }
        }
        return true;
    }

    private static String signature(List<TensorSpec> specs) {
        return String.join(", ", specs.stream().map(t -> t.name() + " " + t.dtype().label() + " " + t.shapeText()).toList());
    }

    /** Refuses a file to write that exists and is not a regular file (a device such as /dev/null, a pipe, a folder). */
    static void requireFileTarget(String option, Path target) {
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(target)) {
            throw EdgeFitException.badParameter(option + " " + target + " exists and is not a regular file ("
                    + (Files.isDirectory(target) ? "a folder" : "a device, pipe or socket") + "); give the path of a file to write.");
        }
    }

    /** Refuses a folder to write into that exists and is not a folder (a file, a device such as /dev/null, a pipe). */
    static void requireFolderTarget(String option, Path target) {
        if (Files.exists(target) && !Files.isDirectory(target)) {
            throw EdgeFitException.badParameter(option + " " + target + " exists and is not a folder ("
                    + (Files.isRegularFile(target) ? "a file" : "a device, pipe or socket") + "); give a folder to write into.");
        }
    }

    /** Refuses a count below {@code min}, naming the option. */
    static int atLeast(String option, int value, int min) {
        if (value < min) {
            throw EdgeFitException.badParameter(option + " must be at least " + min + ", not " + value + ".");
        }
        return value;
    }

    /**
     * The JSON shape of measured metrics: {@code fileBytes, accuracy, accuracySamples, fidelity, latencyMs,
     * peakMemoryBytes, runtime}. Null means not measured; a value that is not a finite number is written as null.
     */
    static Map<String, Object> metrics(Metrics m) {
        if (m == null) {
            return null;
        }
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("fileBytes", m.fileBytes());
        j.put("accuracy", finite(m.accuracy()));
        j.put("accuracySamples", m.accuracySamples());
        j.put("fidelity", fidelity(m.fidelity()));
        j.put("latencyMs", latency(m.latencyMs()));
        j.put("peakMemoryBytes", m.peakMemoryBytes());
        j.put("runtime", m.runtime());
        return j;
    }

    static Map<String, Object> latency(Latency l) {
        if (l == null) {
            return null;
        }
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("p50", finite(l.p50()));
        j.put("p90", finite(l.p90()));
        j.put("p99", finite(l.p99()));
        j.put("mean", finite(l.mean()));
        j.put("min", finite(l.min()));
        j.put("runs", l.runs());
        j.put("threads", l.threads());
        return j;
    }

    /**
     * Fidelity against a reference, every output compared by name ({@code outputs}) and the worst one in the summary;
     * {@code sqnrDb} is null when the outputs are identical (infinite SQNR), {@code top1Agreement} and {@code meanCosine}
     * are null where no output has a class axis or a meaningful cosine.
     */
    static Map<String, Object> fidelity(Fidelity f) {
        if (f == null) {
            return null;
        }
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("top1Agreement", finite(f.top1Agreement()));
        j.put("meanCosine", finite(f.meanCosine()));
        j.put("sqnrDb", finite(f.sqnrDb()));
        j.put("identical", f.maxAbsDiff() == 0);
        j.put("maxAbsDiff", finite(f.maxAbsDiff()));
        j.put("samples", f.samples());
        j.put("relL2", finite(f.relL2()));
        j.put("worstOutput", f.worstOutput());
        List<Map<String, Object>> outs = new ArrayList<>();
        for (OutputFidelity o : f.outputs()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("name", o.name());
            e.put("maxAbsDiff", finite(o.maxAbsDiff()));
            e.put("meanAbsDiff", finite(o.meanAbsDiff()));
            e.put("sqnrDb", finite(o.sqnrDb()));
            e.put("relL2", finite(o.relL2()));
            e.put("cosine", finite(o.cosine()));
            e.put("top1", finite(o.top1()));
            e.put("nearZero", o.nearZero());
            outs.add(e);
        }
        j.put("outputs", outs);
        return j;
    }

    /** What an acceptance rule said about one result, for JSON: {rule, decidedBy, value, threshold, passed, text}. */
    static Map<String, Object> decision(Acceptance.Decision d) {
        if (d == null) {
            return null;
        }
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("rule", d.rule());
        j.put("decidedBy", d.decidedBy());
        j.put("value", finite(d.value()));
        j.put("threshold", d.threshold());
        j.put("passed", d.passed());
        j.put("text", d.text());
        return j;
    }

    /**
     * The rule given with --accept (null: {@code auto}); --threshold T is the older shorthand for
     * {@code accuracy>=T,sqnrDb>=10} (0: none). Both at once are refused.
     */
    static Acceptance acceptance(String accept, Double threshold, Acceptance auto) {
        if (accept != null && threshold != null) {
            throw EdgeFitException.badParameter("Give --accept or --threshold, not both (--threshold T is short for --accept accuracy>=T,sqnrDb>=10).");
        }
        if (threshold != null) {
            if (!(threshold >= 0 && threshold <= 1)) {
                throw EdgeFitException.badParameter("--threshold must be between 0 and 1, not " + threshold + ".");
            }
            return Acceptance.forSteps(threshold);
        }
        try {
            return Acceptance.parse(accept, auto);
        } catch (EdgeFitException e) {
            throw EdgeFitException.badParameter("--accept: " + e.getMessage());
        }
    }

    private static Double finite(Double d) {
        return d == null || !Double.isFinite(d) ? null : d;
    }

    static List<Map<String, Object>> specs(List<TensorSpec> specs) {
        return specs.stream().map(TensorSpec::describe).toList();
    }

    /** Human lines for a Metrics. */
    static void print(PrintWriter out, String title, Metrics m) {
        print(out, title, Map.of(), m);
    }

    /** Human lines for a Metrics, after {@code extra} rows (label, text) such as a step's parameters. */
    static void print(PrintWriter out, String title, Map<String, String> extra, Metrics m) {
        out.println(title);
        Table t = new Table("", "").align("ll");
        extra.forEach(t::row);
        t.row("size", String.format(Locale.ROOT, "%,d bytes", m.fileBytes()));
        if (m.accuracy() != null) {
            t.row("accuracy", String.format(Locale.ROOT, "%.2f%% (%d samples)", m.accuracy() * 100, m.accuracySamples()));
        }
        if (m.fidelity() != null) {
            Fidelity f = m.fidelity();
            t.row("fidelity", String.format(Locale.ROOT, "SQNR %s, relative error %.3g%s, cosine %s, top-1 agreement %s, max |diff| %.3g (%d samples)",
                    Double.isFinite(f.sqnrDb()) ? String.format(Locale.ROOT, "%.1f dB", f.sqnrDb()) : "infinite (identical)", f.relL2(),
                    f.outputs().size() > 1 ? " (worst of " + f.outputs().size() + " outputs: " + f.worstOutput() + ")" : "",
                    f.meanCosine() == null ? "n/a" : String.format(Locale.ROOT, "%.5f", f.meanCosine()),
                    f.top1Agreement() == null ? "n/a" : String.format(Locale.ROOT, "%.4f", f.top1Agreement()), f.maxAbsDiff(), f.samples()));
        }
        if (m.latencyMs() != null) {
            Latency l = m.latencyMs();
            t.row("latency", String.format(Locale.ROOT, "p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, mean %.3f ms (%d runs, %s, this machine)",
                    l.p50(), l.p90(), l.p99(), l.mean(), l.runs(), l.threads() <= 0 ? "default threads" : l.threads() + " threads"));
        }
        if (m.peakMemoryBytes() != null) {
            t.row("peak memory", String.format(Locale.ROOT, "%,d bytes (process increase while loading and running)", m.peakMemoryBytes()));
        }
        if (m.runtime() != null) {
            t.row("runtime", m.runtime());
        }
        t.printTo(out, "  ", false);
        out.flush();
    }

    /** Progress on stderr, only for a person at a terminal (System.console() is null when output is redirected). */
    static Progress progress(CommandLine.Model.CommandSpec spec) {
        if (System.console() == null) {
            return Progress.NONE;
        }
        PrintWriter err = spec.commandLine().getErr();
        return new Progress() {
            private long last;

            @Override
            public synchronized void update(double fraction, String message) {
                long now = System.nanoTime();
                if (now - last > 200_000_000L || fraction >= 1) {
                    last = now;
                    String pct = fraction < 0 ? "   " : String.format(Locale.ROOT, "%3.0f%%", Math.min(1, fraction) * 100);
                    err.printf(Locale.ROOT, "\r%s %-70.70s", pct, message == null ? "" : message);
                    progressLineOpen = true;
                    if (fraction >= 1) {
                        endProgressLine(err);
                    }
                    err.flush();
                }
            }

            @Override
            public boolean isCancelled() {
                return false;
            }
        };
    }

    /** Clears a progress line left on stderr, so that what follows starts on a clean line. */
    static void endProgressLine(PrintWriter err) {
        if (progressLineOpen) {
            progressLineOpen = false;
            err.print("\r" + " ".repeat(76) + "\r");
            err.flush();
        }
    }

    /** A text table whose columns are as wide as their widest cell; numbers right-aligned. */
    static final class Table {
        private final List<String[]> rows = new ArrayList<>();
        private final String[] header;
        private String align;

        Table(String... header) {
            this.header = header;
            this.align = "l".repeat(header.length);
        }

        /** One letter per column: l (left) or r (right). */
        Table align(String a) {
            this.align = a;
            return this;
        }

        Table row(Object... cells) {
            String[] r = new String[header.length];
            for (int i = 0; i < r.length; i++) {
                Object c = i < cells.length ? cells[i] : null;
                r[i] = c == null ? "" : c instanceof Long || c instanceof Integer ? String.format(Locale.ROOT, "%,d", c) : c.toString();
            }
            rows.add(r);
            return this;
        }

        void printTo(PrintWriter out, String indent, boolean withHeader) {
            int[] w = new int[header.length];
            for (int i = 0; i < w.length; i++) {
                w[i] = withHeader ? header[i].length() : 0;
                for (String[] r : rows) {
                    w[i] = Math.max(w[i], r[i].length());
                }
            }
            if (withHeader) {
                line(out, indent, header, w);
            }
            for (String[] r : rows) {
                line(out, indent, r, w);
            }
        }

        private void line(PrintWriter out, String indent, String[] cells, int[] w) {
            StringBuilder b = new StringBuilder(indent);
            for (int i = 0; i < cells.length; i++) {
                boolean last = i == cells.length - 1;
                boolean right = i < align.length() && align.charAt(i) == 'r';
                String c = cells[i];
                String pad = " ".repeat(w[i] - c.length());
                if (right) {
                    b.append(pad).append(c);
                } else {
                    b.append(c);
                    if (!last) {
                        b.append(pad);
                    }
                }
                if (!last) {
                    b.append("  ");
                }
            }
            out.println(b.toString().stripTrailing());
        }
    }
}
