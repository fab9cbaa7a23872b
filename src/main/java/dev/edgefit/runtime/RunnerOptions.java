package dev.edgefit.runtime;

/**
 * How a runner executes: intra-op threads (0 = the runtime's default) and the graph optimisation level.
 * BASIC and EXTENDED produce portable graphs; ALL is hardware-specific and only for measuring here.
 */
public record RunnerOptions(int threads, OptLevel optLevel) {
    public enum OptLevel { NONE, BASIC, EXTENDED, ALL }

    public static final RunnerOptions DEFAULT = new RunnerOptions(0, OptLevel.ALL);

    public RunnerOptions {
        if (threads < 0) {
            throw dev.edgefit.common.EdgeFitException.badParameter("Thread count must be 0 (automatic) or more, not " + threads + ".");
        }
    }

    public RunnerOptions withThreads(int t) {
        return new RunnerOptions(t, optLevel);
    }

    public RunnerOptions withOptLevel(OptLevel level) {
        return new RunnerOptions(threads, level);
    }
}
