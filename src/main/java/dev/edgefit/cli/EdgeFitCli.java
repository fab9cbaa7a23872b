package dev.edgefit.cli;

/** The command line: picocli commands over the core. */
public final class EdgeFitCli {
    private EdgeFitCli() {
    }

    public static int run(String[] args) {
        throw new UnsupportedOperationException("the command line is being built");
    }
}
