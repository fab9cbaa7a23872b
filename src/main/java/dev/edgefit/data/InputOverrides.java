package dev.edgefit.data;

import dev.edgefit.common.EdgeFitException;
import dev.edgefit.runtime.Tensor;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the user fixed about a model's inputs when there is no data: the shape of an input with dynamic dimensions
 * ({@code --shape NAME=DIMS}) and the value of an input ({@code --input NAME=VALUE|FILE.npy}: one number that fills
 * the input, or a NumPy array). {@link InputGenerator} generates every other input around them.
 */
public record InputOverrides(Map<String, long[]> shapes, Map<String, Value> values) {
    public static final InputOverrides NONE = new InputOverrides(Map.of(), Map.of());

    /**
     * A fixed value: {@code text} as the user wrote it (a number, true/false, or a .npy path) and, for a .npy file,
     * the array read from it (null for a number).
     */
    public record Value(String text, Tensor array) {
        public boolean isScalar() {
            return array == null;
        }

        /** The number, for a scalar value. */
        public BigDecimal number() {
            String t = text.strip().toLowerCase(Locale.ROOT);
            return switch (t) {
                case "true" -> BigDecimal.ONE;
                case "false" -> BigDecimal.ZERO;
                default -> new BigDecimal(t);
            };
        }
    }

    public InputOverrides {
        shapes = Map.copyOf(shapes);
        values = Map.copyOf(values);
    }

    public static InputOverrides ofShapes(Map<String, long[]> shapes) {
        return new InputOverrides(shapes, Map.of());
    }

    public boolean isEmpty() {
        return shapes.isEmpty() && values.isEmpty();
    }

    /** Input names the user named, shapes first, each once. */
    public List<String> names() {
        List<String> n = new ArrayList<>(shapes.keySet());
        values.keySet().stream().filter(k -> !n.contains(k)).forEach(n::add);
        return n;
    }

    /**
     * Parses {@code NAME=DIMS} (e.g. {@code input_ids=1x64}) and {@code NAME=VALUE|FILE.npy} options; a relative .npy
     * path is read from the working folder. Each problem is one sentence naming the option.
     */
    public static InputOverrides parse(List<String> shapeSpecs, List<String> inputSpecs) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        for (String s : shapeSpecs == null ? List.<String>of() : shapeSpecs) {
            int eq = s.indexOf('=');
            if (eq <= 0 || eq == s.length() - 1) {
                throw EdgeFitException.badParameter("--shape takes NAME=DIMS such as input_ids=1x64, not '" + s + "'.");
            }
            String[] parts = s.substring(eq + 1).split("[xX*,]", -1);
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
            String name = s.substring(0, eq).trim();
            if (shapes.put(name, dims) != null) {
                throw EdgeFitException.badParameter("--shape gives input '" + name + "' twice.");
            }
        }
        Map<String, Value> values = new LinkedHashMap<>();
        for (String s : inputSpecs == null ? List.<String>of() : inputSpecs) {
            int eq = s.indexOf('=');
            if (eq <= 0 || eq == s.length() - 1) {
                throw EdgeFitException.badParameter("--input takes NAME=VALUE or NAME=FILE.npy such as sr=16000, not '" + s + "'.");
            }
            String name = s.substring(0, eq).trim();
            String text = s.substring(eq + 1).trim();
            Value v;
            if (text.toLowerCase(Locale.ROOT).endsWith(".npy")) {
                try {
                    v = new Value(text, Npy.read(Path.of(text)));
                } catch (EdgeFitException e) {
                    // a file given on the command line that cannot be used is a problem of the option (exit 2)
                    throw new EdgeFitException(EdgeFitException.Kind.BAD_PARAMETER, "--input " + name + ": " + e.getMessage(), e);
                }
            } else {
                v = new Value(text, null);
                try {
                    v.number();
                } catch (NumberFormatException e) {
                    throw EdgeFitException.badParameter("--input " + s + ": '" + text + "' is neither a number nor a .npy file.");
                }
            }
            if (values.put(name, v) != null) {
                throw EdgeFitException.badParameter("--input gives input '" + name + "' twice.");
            }
        }
        return new InputOverrides(shapes, values);
    }

    /** The options that give these overrides again, for a child process: --shape and --input pairs. */
    public List<String> toArgs() {
        List<String> a = new ArrayList<>();
        shapes.forEach((k, v) -> {
            a.add("--shape");
            StringBuilder b = new StringBuilder(k).append('=');
            for (int i = 0; i < v.length; i++) {
                b.append(i == 0 ? "" : "x").append(v[i]);
            }
            a.add(b.toString());
        });
        values.forEach((k, v) -> {
            a.add("--input");
            a.add(k + "=" + (v.isScalar() ? v.text() : Path.of(v.text()).toAbsolutePath()));
        });
        return a;
    }

    /** Reads {@link #toArgs()} back. */
    public static InputOverrides fromArgs(List<String> args) {
        List<String> shapes = new ArrayList<>();
        List<String> inputs = new ArrayList<>();
        for (int i = 0; i + 1 < args.size(); i += 2) {
            (args.get(i).equals("--shape") ? shapes : inputs).add(args.get(i + 1));
        }
        return parse(shapes, inputs);
    }
}
