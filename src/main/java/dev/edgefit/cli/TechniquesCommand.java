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

@Command(name = "techniques", description = "Every compression technique and its parameters (the same declarations feed the GUI form).")
final class TechniquesCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Option(names = "--json")
    boolean json;

    @Override
    public Integer call() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Technique t : TechniqueRegistry.all()) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("id", t.id());
            j.put("name", t.displayName());
            j.put("description", t.description());
            List<Map<String, Object>> ps = new ArrayList<>();
            for (ParamSpec p : t.params()) {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("name", p.name());
                e.put("type", p.type().name().toLowerCase(Locale.ROOT));
                e.put("default", p.defaultValue());
                e.put("min", p.min());
                e.put("max", p.max());
                e.put("choices", p.choices().isEmpty() ? null : p.choices());
                e.put("help", p.help());
                ps.add(e);
            }
            j.put("params", ps);
            out.add(j);
        }
        if (json) {
            Cli.json(spec, out);
            return 0;
        }
        PrintWriter o = Cli.out(spec);
        for (Technique t : TechniqueRegistry.all()) {
            o.printf("%s — %s%n  %s%n", t.id(), t.displayName(), t.description());
            for (ParamSpec p : t.params()) {
                String range = p.type() == ParamSpec.Type.CHOICE ? String.join("|", p.choices())
                        : p.min() != null ? p.min() + ".." + p.max() : p.type().name().toLowerCase(Locale.ROOT);
                o.printf("    --param %s=<%s> (default %s): %s%n", p.name(), range, p.defaultValue(), p.help());
            }
        }
        o.flush();
        return 0;
    }
}
