package dev.edgefit.cli;

import dev.edgefit.common.EdgeFitException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintStream;
import java.io.PrintWriter;

/**
 * The command line: picocli commands over the same core as the workbench. Every command takes --json and then
 * prints one JSON document on stdout; errors are one sentence on stderr and a non-zero exit code, never a stack trace.
 */
@Command(name = "edgefit", mixinStandardHelpOptions = true, versionProvider = EdgeFitCli.Version.class,
        description = "Fit neural networks to edge devices: inspect, measure, compress, export and report.",
        subcommands = {
            InspectCommand.class,
            EvalCommand.class,
            CompressCommand.class,
            ExportCommand.class,
            ReportCommand.class,
            DevicesCommand.class,
            TechniquesCommand.class,
        })
public final class EdgeFitCli implements Runnable {
    /** Exit codes, one per kind of failure (docs/cli.md lists them). */
    public static final int OK = 0;
    public static final int OTHER = 1;
    public static final int USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static int run(String[] args) {
        return run(args, System.out, System.err);
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        CommandLine cl = new CommandLine(new EdgeFitCli());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        cl.setExecutionExceptionHandler((ex, line, parseResult) -> {
            err.println("edgefit: " + EdgeFitException.describe(ex));
            err.flush();
            return exitCode(ex);
        });
        cl.setParameterExceptionHandler((ex, a) -> {
            err.println("edgefit: " + ex.getMessage());
            err.println("Try 'edgefit " + (ex.getCommandLine().getCommandSpec().name().equals("edgefit") ? ""
                    : ex.getCommandLine().getCommandSpec().name() + " ") + "--help'.");
            err.flush();
            return USAGE;
        });
        return cl.execute(args);
    }

    static int exitCode(Throwable t) {
        Throwable c = t;
        while (c != null && !(c instanceof EdgeFitException)) {
            c = c.getCause();
        }
        if (!(c instanceof EdgeFitException e)) {
            return OTHER;
        }
        return switch (e.kind()) {
            case BAD_PARAMETER -> USAGE;
            case BAD_MODEL -> 3;
            case UNSUPPORTED_OPERATOR -> 4;
            case BAD_DATASET -> 5;
            case NOT_APPLICABLE -> 6;
            case CONSTRAINT -> 7;
            case IO -> 8;
            case CANCELLED -> 130;
            case INTERNAL -> OTHER;
        };
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"EdgeFit " + dev.edgefit.export.ExportService.version()};
        }
    }
}
