package dev.edgefit.runtime;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.edgefit.common.EdgeFitException;

import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The time limit of one ONNX Runtime run: a watchdog sets the run's terminate flag when the limit passes, and ONNX
 * Runtime stops between two operators (inside Loop and Scan bodies too), so that a graph that would run for years (a
 * Loop with a trip count of 2^62) ends in seconds with one sentence. The limit is the system property
 * {@value #PROPERTY} in seconds (default {@value #DEFAULT_SECONDS}; 0 turns it off).
 */
public final class RunTimeout {
    public static final String PROPERTY = "edgefit.run.timeout.seconds";
    public static final long DEFAULT_SECONDS = 60;

    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "edgefit-run-watchdog");
        t.setDaemon(true);
        return t;
    });

    private RunTimeout() {
    }

    /** The limit in seconds from {@value #PROPERTY}; a value that is not a whole number gives the default. */
    public static long seconds() {
        String v = System.getProperty(PROPERTY);
        if (v == null || v.isBlank()) {
            return DEFAULT_SECONDS;
        }
        try {
            return Math.max(0, Long.parseLong(v.trim()));
        } catch (NumberFormatException e) {
            return DEFAULT_SECONDS;
        }
    }

    /** Starts watching one run; closing the watch before the limit cancels it. */
    static Watch watch(OrtSession.RunOptions options, long seconds) {
        return new Watch(options, seconds);
    }

    static EdgeFitException exceeded(Path file, long seconds, Throwable cause) {
        return EdgeFitException.badModel(file, "one run in ONNX Runtime did not finish within " + seconds + " s and was stopped "
                + "(the limit is the system property " + PROPERTY + ", in seconds).", cause);
    }

    static final class Watch implements AutoCloseable {
        private final AtomicBoolean fired = new AtomicBoolean();
        private final ScheduledFuture<?> task;

        private Watch(OrtSession.RunOptions options, long seconds) {
            task = seconds <= 0 ? null : WATCHDOG.schedule(() -> {
                try {
                    fired.set(true);
                    options.setTerminate(true);
                } catch (OrtException | RuntimeException ignored) {
                    // the run ended and its options closed meanwhile
                }
            }, seconds, TimeUnit.SECONDS);
        }

        boolean fired() {
            return fired.get();
        }

        @Override
        public void close() {
            if (task != null) {
                task.cancel(false);
            }
        }
    }
}
