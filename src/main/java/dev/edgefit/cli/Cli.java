package dev.edgefit.cli;

import dev.edgefit.common.EdgeFitException;
import dev.edgefit.common.Json;
import dev.edgefit.common.Progress;
import dev.edgefit.data.Dataset;
import dev.edgefit.data.Datasets;
import dev.edgefit.data.Preprocessing;
import dev.edgefit.eval.Fidelity;
import dev.edgefit.eval.Metrics;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.TensorSpec;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** What the commands share: output, JSON shaping, data opening, shape parsing, progress on a terminal. */
final class Cli {
    private Cli() {
    }

    static void json(CommandLine.Model.CommandSpec spec, Object value) {
        PrintWriter out = spec.commandLine().getOut();
        out.println(Json.write(value));
        out.flush();
    }

    static PrintWriter out(CommandLine.Model.CommandSpec spec) {
        return spec.commandLine().getOut();
    }

    /** The dataset at {@code path}, preprocessed as the model's metadata says (or the default: pixels / 255). */
    static Dataset data(Path path, ModelSnapshot model) {
        if (path == null) {
            return null;
        }
        String pp = model.metadata(Preprocessing.METADATA_KEY);
        return Datasets.open(path, pp == null ? Preprocessing.DEFAULT : Preprocessing.fromJson(pp));
    }

    /** Parses NAME=1x64 options. */
    static Map<String, long[]> shapes(List<String> specs) {
        Map<String, long[]> out = new LinkedHashMap<>();
        if (specs == null) {
            return out;
        }
        for (String s : specs) {
            int eq = s.indexOf('=');
            if (eq <= 0) {
                throw EdgeFitException.badParameter("--shape takes NAME=DIMS such as input_ids=1x64, not '" + s + "'.");
            }
            String[] parts = s.substring(eq + 1).split("x");
            long[] dims = new long[parts.length];
            try {
                for (int i = 0; i < parts.length; i++) {
                    dims[i] = Long.parseLong(parts[i].trim());
                    if (dims[i] <= 0) {
                        throw new NumberFormatException();
                    }
                }
            } catch (NumberFormatException e) {
                throw EdgeFitException.badParameter("--shape " + s + ": dimensions must be positive whole numbers separated by 'x'.");
            }
            out.put(s.substring(0, eq), dims);
        }
        return out;
    }

    static Map<String, Object> metrics(Metrics m) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("fileBytes", m.fileBytes());
        j.put("accuracy", m.accuracy());
        j.put("accuracySamples", m.accuracySamples());
        j.put("fidelity", fidelity(m.fidelity()));
        if (m.latencyMs() != null) {
            Map<String, Object> l = new LinkedHashMap<>();
            l.put("p50", m.latencyMs().p50());
            l.put("p90", m.latencyMs().p90());
            l.put("p99", m.latencyMs().p99());
            l.put("mean", m.latencyMs().mean());
            l.put("runs", m.latencyMs().runs());
            l.put("threads", m.latencyMs().threads());
            j.put("latencyMs", l);
        } else {
            j.put("latencyMs", null);
        }
        j.put("peakMemoryBytes", m.peakMemoryBytes());
        j.put("runtime", m.runtime());
        return j;
    }

    static Map<String, Object> fidelity(Fidelity f) {
        if (f == null) {
            return null;
        }
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("top1Agreement", f.top1Agreement());
        j.put("meanCosine", f.meanCosine());
        j.put("sqnrDb", Double.isInfinite(f.sqnrDb()) ? null : f.sqnrDb());
        j.put("maxAbsDiff", f.maxAbsDiff());
        j.put("samples", f.samples());
        return j;
    }

    static List<Map<String, Object>> specs(List<TensorSpec> specs) {
        return specs.stream().map(TensorSpec::describe).toList();
    }

    /** Human lines for a Metrics. */
    static void print(PrintWriter out, String title, Metrics m) {
        out.println(title);
        out.printf(Locale.ROOT, "  size          %,d bytes%n", m.fileBytes());
        if (m.accuracy() != null) {
            out.printf(Locale.ROOT, "  accuracy      %.2f%% (%d samples)%n", m.accuracy() * 100, m.accuracySamples());
        }
        if (m.fidelity() != null) {
            Fidelity f = m.fidelity();
            out.printf(Locale.ROOT, "  fidelity      cosine %.5f, top-1 agreement %.4f, SQNR %.1f dB (%d samples)%n",
                    f.meanCosine(), f.top1Agreement(), f.sqnrDb(), f.samples());
        }
        if (m.latencyMs() != null) {
            out.printf(Locale.ROOT, "  latency       p50 %.3f ms, p90 %.3f ms, p99 %.3f ms (%d runs, this machine)%n",
                    m.latencyMs().p50(), m.latencyMs().p90(), m.latencyMs().p99(), m.latencyMs().runs());
        }
        if (m.peakMemoryBytes() != null) {
            out.printf(Locale.ROOT, "  peak memory   %,d bytes (process, while loading and running)%n", m.peakMemoryBytes());
        }
        out.flush();
    }

    /** Progress on stderr, only for a person at a terminal. */
    static Progress progress(CommandLine.Model.CommandSpec spec) {
        if (System.console() == null) {
            return Progress.NONE;
        }
        PrintWriter err = spec.commandLine().getErr();
        return new Progress() {
            private long last;

            @Override
            public void update(double fraction, String message) {
                long now = System.nanoTime();
                if (now - last > 200_000_000L || fraction >= 1) {
                    last = now;
                    err.printf(Locale.ROOT, "\r%3.0f%% %-70.70s", Math.max(0, fraction) * 100, message);
                    if (fraction >= 1) {
                        err.println();
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
}
