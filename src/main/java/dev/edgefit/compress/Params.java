package dev.edgefit.compress;

import dev.edgefit.common.EdgeFitException;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Checked parameter values of one technique run: every declared parameter has a value (given or default). */
public final class Params {
    private final Map<String, Object> values;

    private Params(Map<String, Object> values) {
        this.values = Collections.unmodifiableMap(values);
    }

    /** From text values (CLI --param, GUI fields); unknown names and bad values are refused. */
    public static Params parse(Technique t, Map<String, String> given) {
        Map<String, Object> typed = new LinkedHashMap<>();
        given.forEach((k, v) -> typed.put(k, v));
        return of(t, typed);
    }

    /** From typed or text values (recipes); unknown names and bad values are refused. */
    public static Params of(Technique t, Map<String, ?> given) {
        List<ParamSpec> specs = t.params();
        for (String k : given.keySet()) {
            if (specs.stream().noneMatch(s -> s.name().equals(k))) {
                throw EdgeFitException.badParameter("Technique '" + t.id() + "' has no parameter '" + k + "'; it has "
                        + (specs.isEmpty() ? "none" : String.join(", ", specs.stream().map(ParamSpec::name).toList())) + ".");
            }
        }
        Map<String, Object> v = new LinkedHashMap<>();
        for (ParamSpec s : specs) {
            v.put(s.name(), given.containsKey(s.name()) ? s.check(t.id(), given.get(s.name())) : s.defaultValue());
        }
        return new Params(v);
    }

    public static Params defaults(Technique t) {
        return of(t, Map.of());
    }

    public Map<String, Object> values() {
        return values;
    }

    public int getInt(String name) {
        return ((Number) values.get(name)).intValue();
    }

    public double getDouble(String name) {
        return ((Number) values.get(name)).doubleValue();
    }

    public boolean getBool(String name) {
        return (Boolean) values.get(name);
    }

    public String getString(String name) {
        return String.valueOf(values.get(name));
    }

    @Override
    public String toString() {
        return values.toString();
    }
}
