package dev.edgefit.cli;

import dev.edgefit.compress.ParamSpec;
import dev.edgefit.compress.Technique;
import dev.edgefit.compress.TechniqueRegistry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "techniques", description = "Every compression technique and its parameters (the same declarations make the workbench's forms).")
final class TechniquesCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Option(names = "--json", description = "Print one JSON document (an array) on stdout and nothing else.")
    boolean json;

    @Override
    public Integer call() {
        if (json) {
            List<Map<String, Object>> out = new ArrayList<>();
            for (Technique t : TechniqueRegistry.all()) {
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("id", t.id());
                j.put("name", t.displayName());
                j.put("description", t.description());
                List<Map<String, Object>> ps = new ArrayList<>();
                for (ParamSpec p : t.params()) {
                    ps.add(json(p));
                }
                j.put("params", ps);
                out.add(j);
            }
            Cli.json(spec, out);
            return 0;
        }
        PrintWriter o = Cli.out(spec);
        boolean first = true;
        for (Technique t : TechniqueRegistry.all()) {
            if (!first) {
                o.println();
            }
            first = false;
            o.printf("%s  %s%n  %s%n", t.id(), t.displayName(), t.description());
            if (t.params().isEmpty()) {
                o.println("  (no parameters)");
                continue;
            }
            for (ParamSpec p : t.params()) {
                Object def = p.defaultValue();
                o.printf("  --param %s=<%s>  (%s, default %s)%n      %s%n", p.name(), allowed(p), type(p),
                        def == null || String.valueOf(def).isEmpty() ? "empty" : String.valueOf(def), p.help());
            }
        }
        o.flush();
        return 0;
    }

    static Map<String, Object> json(ParamSpec p) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("name", p.name());
        e.put("type", type(p));
        e.put("default", p.defaultValue());
        e.put("min", bound(p, p.min()));
        e.put("max", bound(p, p.max()));
        e.put("choices", p.choices().isEmpty() ? null : p.choices());
        e.put("help", p.help());
        return e;
    }

    static String type(ParamSpec p) {
        return p.type().name().toLowerCase(Locale.ROOT);
    }

    /** A bound as the parameter's own type: whole numbers for INT parameters. */
    private static Object bound(ParamSpec p, Double v) {
        if (v == null) {
            return null;
        }
        return p.type() == ParamSpec.Type.INT ? (Object) v.longValue() : v;
    }

    private static String allowed(ParamSpec p) {
        return switch (p.type()) {
            case CHOICE -> String.join("|", p.choices());
            case BOOL -> "true|false";
            case STRING -> "text";
            case INT, DOUBLE -> (p.min() == null ? "" : String.valueOf(bound(p, p.min()))) + ".." + (p.max() == null ? "" : String.valueOf(bound(p, p.max())));
        };
    }
}
