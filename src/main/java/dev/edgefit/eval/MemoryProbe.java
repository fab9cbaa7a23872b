package dev.edgefit.eval;

import dev.edgefit.data.InputGenerator;
import dev.edgefit.data.InputOverrides;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.OnnxModels;
import dev.edgefit.runtime.OrtRunner;
import dev.edgefit.runtime.RunnerOptions;
import dev.edgefit.runtime.Tensor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Peak memory of one model, measured in a process of its own: the JVM starts, ONNX Runtime's environment is created,
 * an input is generated and the heap collected; then the resident high-water mark is reset, a session loads the file
 * and runs that input once, and the growth of the high-water mark is the figure. A fresh process for every model, so
 * that no figure depends on what the workbench measured before it (memory freed by an earlier session is kept by the
 * allocator and would be reused without showing). The child runs without the JIT compiler and with one GC thread:
 * the model loads and runs in native code either way, and its figure repeats to the byte from run to run.
 */
public final class MemoryProbe {
    /** The line the child prints; everything else it prints is ignored. */
    static final String PREFIX = "edgefit-peak-bytes ";
    private static final long TIMEOUT_S = 300;

    private MemoryProbe() {
    }

    /**
     * The peak memory of loading {@code model} and running one inference, in bytes, measured in a child process; null
     * where the platform has no resident high-water mark, or when the child fails (the figure is then "not measured").
     */
    public static Long measure(Path model, RunnerOptions options) {
        return measure(model, options, dev.edgefit.common.Progress.NONE);
    }

    /** As {@link #measure(Path, RunnerOptions)}; a cancel through {@code progress} stops the child and is thrown. */
    public static Long measure(Path model, RunnerOptions options, dev.edgefit.common.Progress progress) {
        return measure(model, options, InputOverrides.NONE, progress);
    }

    /** As {@link #measure(Path, RunnerOptions, dev.edgefit.common.Progress)}, on inputs with what the user fixed. */
    public static Long measure(Path model, RunnerOptions options, InputOverrides inputs, dev.edgefit.common.Progress progress) {
        if (!PeakMemory.supported()) {
            return null;
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx" + Math.max(256, Runtime.getRuntime().maxMemory() >> 20) + "m");
        // no JIT compiler and one GC thread: no compiler arenas or GC work touching memory inside the window, so the
        // same model gives the same figure run after run (with them it wandered by a third)
        cmd.add("-Xint");
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-Djava.awt.headless=true");
        // the same temp folder as this process (ONNX Runtime extracts its native libraries there)
        cmd.add("-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"));
        cmd.add("-D" + dev.edgefit.runtime.RunTimeout.PROPERTY + "=" + dev.edgefit.runtime.RunTimeout.seconds());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(MemoryProbe.class.getName());
        cmd.add(model.toAbsolutePath().toString());
        cmd.add(Integer.toString(options.threads()));
        cmd.add(options.optLevel().name());
        cmd.addAll(inputs.toArgs());
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getOutputStream().close();
            // the child's output is read on a thread of its own (not a shared pool, which other work may be holding)
            java.util.concurrent.CompletableFuture<byte[]> out = new java.util.concurrent.CompletableFuture<>();
            Thread reader = new Thread(() -> {
                try {
                    out.complete(p.getInputStream().readAllBytes());
                } catch (IOException e) {
                    out.complete(new byte[0]);
                }
            }, "edgefit-memory-probe");
            reader.setDaemon(true);
            reader.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_S);
            while (!p.waitFor(100, TimeUnit.MILLISECONDS)) {
                if (progress.isCancelled() || System.nanoTime() > deadline) {
                    p.destroyForcibly();
                    progress.checkCancelled();
                    return null;
                }
            }
            if (p.exitValue() != 0) {
                return null;
            }
            for (String line : new String(out.join(), StandardCharsets.UTF_8).split("\n")) {
                if (line.startsWith(PREFIX)) {
                    return Long.parseLong(line.substring(PREFIX.length()).strip());
                }
            }
            return null;
        } catch (IOException | NumberFormatException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** The child: {@code MemoryProbe MODEL THREADS OPT_LEVEL [--shape N=D] [--input N=V]}; prints {@value #PREFIX}BYTES and exits 0, or exits 1. */
    public static void main(String[] args) {
        try {
            Path model = Path.of(args[0]);
            RunnerOptions options = new RunnerOptions(Integer.parseInt(args[1]), RunnerOptions.OptLevel.valueOf(args[2]));
            Map<String, Tensor> input;
            {
                ModelSnapshot m = OnnxModels.load(model);
                input = new InputGenerator(m, InputOverrides.fromArgs(List.of(args).subList(3, args.length))).generate(1);
            }
            OrtRunner.env();
            System.gc();
            long baseline = PeakMemory.rss();
            if (baseline <= 0 || !PeakMemory.reset()) {
                System.exit(1);
            }
            try (OrtRunner runner = new OrtRunner(model, options)) {
                runner.run(input);
                long peak = PeakMemory.peak();
                System.out.println(PREFIX + Math.max(0, peak - baseline));
            }
            System.out.flush();
            System.exit(0);
        } catch (RuntimeException | LinkageError e) {
            System.exit(1);
        }
    }
}
