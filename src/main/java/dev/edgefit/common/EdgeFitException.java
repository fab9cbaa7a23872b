package dev.edgefit.common;

import java.nio.file.Path;

/**
 * A failure the user must see as one clear sentence that names the file (if any) and the problem.
 * The GUI and the CLI show {@link #getMessage()} and nothing else; never a stack trace.
 */
public class EdgeFitException extends RuntimeException {
    /** What kind of user-facing failure this is; the CLI maps it to an exit code. */
    public enum Kind { BAD_MODEL, UNSUPPORTED_OPERATOR, BAD_DATASET, BAD_PARAMETER, NOT_APPLICABLE, CONSTRAINT, IO, CANCELLED, INTERNAL }

    private final Kind kind;

    public EdgeFitException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public EdgeFitException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    public static EdgeFitException badModel(Path file, String problem) {
        return new EdgeFitException(Kind.BAD_MODEL, file + ": " + problem);
    }

    public static EdgeFitException badModel(Path file, String problem, Throwable cause) {
        return new EdgeFitException(Kind.BAD_MODEL, file + ": " + problem, cause);
    }

    public static EdgeFitException badDataset(Path file, String problem) {
        return new EdgeFitException(Kind.BAD_DATASET, file + ": " + problem);
    }

    public static EdgeFitException badParameter(String problem) {
        return new EdgeFitException(Kind.BAD_PARAMETER, problem);
    }

    public static EdgeFitException io(Path file, String problem, Throwable cause) {
        return new EdgeFitException(Kind.IO, file + ": " + problem, cause);
    }

    public static EdgeFitException cancelled() {
        return new EdgeFitException(Kind.CANCELLED, "Cancelled by the user.");
    }

    /** One sentence for any throwable: EdgeFit's own message, else a generic one with the cause's message. */
    public static String describe(Throwable t) {
        if (t instanceof EdgeFitException e) {
            return e.getMessage();
        }
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            if (root instanceof EdgeFitException e) {
                return e.getMessage();
            }
            root = root.getCause();
        }
        if (root instanceof EdgeFitException e) {
            return e.getMessage();
        }
        String m = root.getMessage();
        return "Unexpected error (" + root.getClass().getSimpleName() + ")" + (m == null ? "." : ": " + firstLine(m));
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
