package dev.edgefit.cli;

import dev.edgefit.common.EdgeFitException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ScopeType;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.List;

/**
 * The command line: picocli commands over the same core as the workbench. Every command takes --json and then
 * prints one JSON document on stdout; errors are one sentence on stderr and a non-zero exit code (see
 * {@link #exitCode}), never a stack trace. docs/cli.md documents every command, option and JSON field.
 */
@Command(name = "edgefit", mixinStandardHelpOptions = true, scope = ScopeType.INHERIT, versionProvider = EdgeFitCli.Version.class,
        description = "Fit neural networks to edge devices: inspect, measure, compress, export and report.",
        footer = {"", "Run 'edgefit COMMAND --help' for a command's options; with no command at all the workbench opens.",
            "Exit codes: 0 ok, 1 unexpected error, 2 bad usage or parameter, 3 bad model file, 4 unsupported operator,",
            "5 bad dataset, 6 technique not applicable, 7 constraint not met, 8 file system error, 130 cancelled."},
        subcommands = {
            // one line per command; docs/cli.md has a section for each
            InspectCommand.class,
            EvalCommand.class,
            CompressCommand.class,
            ExportCommand.class,
            ReportCommand.class,
            DevicesCommand.class,
            EstimateCommand.class,
            EstimateCommand.CompareCommand.class,
            TechniquesCommand.class,
        })
public final class EdgeFitCli implements Runnable {
    /** Success. */
    public static final int OK = 0;
    /** Anything that is not one of the kinds below (a bug or an unexpected failure of the platform). */
    public static final int OTHER = 1;
    /** Bad usage or parameter: unknown option or technique, value out of range, --out equal to the input. */
    public static final int USAGE = 2;
    /** The model file is not a readable ONNX model (not ONNX, truncated, missing, bad external data). */
    public static final int BAD_MODEL = 3;
    /** The model uses an operator the runtime has no kernel for. */
    public static final int UNSUPPORTED_OPERATOR = 4;
    /** The dataset is unreadable or does not fit the model's inputs. */
    public static final int BAD_DATASET = 5;
    /** The technique has nothing it can change in this model. */
    public static final int NOT_APPLICABLE = 6;
    /** A constraint or the acceptance threshold is not met, so nothing was written. */
    public static final int CONSTRAINT = 7;
    /** A file could not be written or read (disk full, permissions, an export already in the folder). */
    public static final int IO = 8;
    /** Cancelled (as a shell reports SIGINT: 128 + 2). */
    public static final int CANCELLED = 130;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static int run(String[] args) {
        return run(args, System.out, System.err);
    }

    /** Runs one command with its output on {@code out} and {@code err}; returns the exit code. Never throws. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        PrintWriter errWriter = new PrintWriter(err, true);
        try {
            CommandLine cl = new CommandLine(new EdgeFitCli());
            cl.setOut(new PrintWriter(out, true));
            cl.setErr(errWriter);
            cl.setExecutionExceptionHandler((ex, line, parseResult) -> fail(errWriter, ex));
            cl.setParameterExceptionHandler((ex, a) -> {
                Cli.endProgressLine(errWriter);
                CommandLine sub = ex.getCommandLine();
                String name = sub == null ? "edgefit" : sub.getCommandSpec().qualifiedName();
                errWriter.println("edgefit: " + oneLine(usageMessage(ex)));
                errWriter.println("Try '" + name + " --help'.");
                errWriter.flush();
                return USAGE;
            });
            int code = cl.execute(args);
            cl.getOut().flush();
            return code;
        } catch (Throwable t) {
            return fail(errWriter, t);
        }
    }

    /** Picocli's message, with the known commands for an unknown one and picocli's suggestions for a misspelt option. */
    private static String usageMessage(CommandLine.ParameterException ex) {
        if (ex instanceof CommandLine.UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
            String arg = u.getUnmatched().get(0);
            CommandLine cl = u.getCommandLine();
            if (cl != null && cl.getParent() == null && !arg.startsWith("-") && !cl.getSubcommands().isEmpty()) {
                return "Unknown command '" + arg + "'; commands: " + String.join(", ", cl.getSubcommands().keySet()) + ".";
            }
            List<String> suggestions = u.getSuggestions();
            if (!suggestions.isEmpty()) {
                return ex.getMessage() + " (did you mean " + String.join(" or ", suggestions.subList(0, Math.min(3, suggestions.size()))) + "?)";
            }
        }
        return ex.getMessage();
    }

    /** Prints the one sentence for {@code t} and returns its exit code. */
    private static int fail(PrintWriter err, Throwable t) {
        Cli.endProgressLine(err);
        err.println("edgefit: " + oneLine(EdgeFitException.describe(t)));
        err.flush();
        return exitCode(t);
    }

    /** The message on one line: scripts read stderr line by line. */
    static String oneLine(String s) {
        return s == null || s.isBlank() ? "unexpected error." : s.strip().replaceAll("\\s*\\R\\s*", " ");
    }

    /** The exit code for a failure: by the kind of the first EdgeFitException in the cause chain, else {@link #OTHER}. */
    static int exitCode(Throwable t) {
        Throwable c = t;
        int depth = 0;
        while (c != null && !(c instanceof EdgeFitException) && depth++ < 32) {
            c = c.getCause();
        }
        if (!(c instanceof EdgeFitException e)) {
            return OTHER;
        }
        return switch (e.kind()) {
            case BAD_PARAMETER -> USAGE;
            case BAD_MODEL -> BAD_MODEL;
            case UNSUPPORTED_OPERATOR -> UNSUPPORTED_OPERATOR;
            case BAD_DATASET -> BAD_DATASET;
            case NOT_APPLICABLE -> NOT_APPLICABLE;
            case CONSTRAINT -> CONSTRAINT;
            case IO -> IO;
            case CANCELLED -> CANCELLED;
            case INTERNAL -> OTHER;
        };
    }

    /** The version from the jar's manifest (Implementation-Version); "dev" when run from classes. */
    public static String version() {
        String v = EdgeFitCli.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"edgefit " + version(), "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")"};
        }
    }
}
