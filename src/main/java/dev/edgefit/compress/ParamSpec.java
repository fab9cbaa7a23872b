package dev.edgefit.compress;

import dev.edgefit.common.EdgeFitException;

import java.util.List;
import java.util.Locale;

/**
 * One parameter of a technique, declared once: the GUI form, the CLI's --param and the recipe are all
 * made from it. min/max apply to INT and DOUBLE; choices to CHOICE.
 */
public record ParamSpec(String name, Type type, Object defaultValue, Double min, Double max, List<String> choices, String help) {
    public enum Type { INT, DOUBLE, BOOL, CHOICE, STRING }

    public ParamSpec {
        choices = choices == null ? List.of() : List.copyOf(choices);
    }

    public static ParamSpec integer(String name, int def, int min, int max, String help) {
        return new ParamSpec(name, Type.INT, def, (double) min, (double) max, null, help);
    }

    public static ParamSpec decimal(String name, double def, double min, double max, String help) {
        return new ParamSpec(name, Type.DOUBLE, def, min, max, null, help);
    }

    public static ParamSpec bool(String name, boolean def, String help) {
        return new ParamSpec(name, Type.BOOL, def, null, null, null, help);
    }

    public static ParamSpec choice(String name, String def, List<String> choices, String help) {
        return new ParamSpec(name, Type.CHOICE, def, null, null, choices, help);
    }

    public static ParamSpec text(String name, String def, String help) {
        return new ParamSpec(name, Type.STRING, def, null, null, null, help);
    }

    /** Parses and checks a value given as text; the error names the technique, parameter and allowed values. */
    public Object parse(String technique, String text) {
        String t = text.trim();
        try {
            return switch (type) {
                case INT -> checkRange(technique, Integer.parseInt(t));
                case DOUBLE -> checkRange(technique, Double.parseDouble(t));
                case BOOL -> switch (t.toLowerCase(Locale.ROOT)) {
                    case "true", "yes", "1", "on" -> Boolean.TRUE;
                    case "false", "no", "0", "off" -> Boolean.FALSE;
                    default -> throw bad(technique, text, "true or false");
                };
                case CHOICE -> {
                    if (!choices.contains(t)) {
                        throw bad(technique, text, "one of " + String.join(", ", choices));
                    }
                    yield t;
                }
                case STRING -> t;
            };
        } catch (NumberFormatException e) {
            throw bad(technique, text, type == Type.INT ? "a whole number" + rangeText() : "a number" + rangeText());
        }
    }

    /** Checks an already-typed value (from a recipe or the GUI). */
    public Object check(String technique, Object value) {
        if (value == null) {
            return defaultValue;
        }
        return parse(technique, String.valueOf(value));
    }

    private <N extends Number> N checkRange(String technique, N v) {
        double d = v.doubleValue();
        if ((min != null && d < min) || (max != null && d > max) || Double.isNaN(d)) {
            throw bad(technique, String.valueOf(v), "a value" + rangeText());
        }
        return v;
    }

    private String rangeText() {
        if (min == null && max == null) {
            return "";
        }
        return " from " + fmt(min) + " to " + fmt(max);
    }

    private static String fmt(Double d) {
        return d == null ? "?" : (d == Math.rint(d) ? Long.toString(d.longValue()) : d.toString());
    }

    private EdgeFitException bad(String technique, String text, String expected) {
        return EdgeFitException.badParameter("Parameter '" + name + "' of technique '" + technique + "' must be " + expected
                + ", not '" + text + "'.");
    }
}
