package dev.edgefit.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.edgefit.common.EdgeFitException;
import dev.edgefit.common.Json;
import dev.edgefit.compress.Params;
import dev.edgefit.compress.Technique;
import dev.edgefit.compress.TechniqueRegistry;
import dev.edgefit.data.Dataset;
import dev.edgefit.data.InputOverrides;
import dev.edgefit.eval.Acceptance;
import dev.edgefit.export.ExportService;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What made a step, from the source model: the source file and its SHA-256, the data used (a dataset's path and kind, or
 * "generated" with the input shapes and values the user fixed), the acceptance rule and every technique on the step's
 * chain of ancestors with all its parameter values (defaults included). The export manifest, the report, the GUI's export
 * and {@code edgefit compress --recipe} all use this one form; written as JSON ({@link #toMap}) and read back from JSON
 * or YAML ({@link #read}), where a technique or parameter this version does not know is refused in one sentence.
 */
public record Recipe(String sourceFile, String sourceSha256, DataRef data, String acceptance, List<Entry> steps) {
    public static final String FORMAT = "edgefit-recipe/1";

    /**
     * The data: {@code kind} "idx" with {@code path} (a folder with images and labels, or an images file) and whether it
     * had labels, or "generated" with the shapes and values fixed by the user (a value is a number or a .npy path).
     */
    public record DataRef(String kind, String path, Boolean labelled, Map<String, List<Long>> shapes, Map<String, String> values) {
        public static final String GENERATED = "generated";

        public boolean generated() {
            return GENERATED.equals(kind);
        }

        /** The generated inputs' overrides (empty for a dataset). */
        public InputOverrides inputs() {
            if (shapes.isEmpty() && values.isEmpty()) {
                return InputOverrides.NONE;
            }
            List<String> s = new ArrayList<>();
            shapes.forEach((k, v) -> s.add(k + "=" + String.join("x", v.stream().map(String::valueOf).toList())));
            List<String> i = new ArrayList<>();
            values.forEach((k, v) -> i.add(k + "=" + v));
            return InputOverrides.parse(s, i);
        }

        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("kind", kind);
            if (!generated()) {
                m.put("path", path);
                m.put("labelled", labelled);
            } else {
                m.put("shapes", shapes);
                m.put("values", values);
            }
            return m;
        }
    }

    /** One technique of the chain: the step it was in the experiment, its id and every parameter value. */
    public record Entry(int step, String technique, Map<String, Object> params) {
        public Technique resolveTechnique() {
            return TechniqueRegistry.get(technique);
        }

        /** The parameters checked against the technique's declaration (an unknown one or a bad value is refused). */
        public Params resolveParams() {
            return Params.of(resolveTechnique(), params);
        }

        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("step", step);
            m.put("technique", technique);
            m.put("params", params);
            return m;
        }
    }

    public Recipe {
        steps = List.copyOf(steps);
    }

    /** The recipe of step {@code index} of {@code ex}: its chain of ancestors from the original. */
    public static Recipe of(Experiment ex, int index) {
        List<Entry> entries = new ArrayList<>();
        for (Step s : ex.chain(index)) {
            if (s.index() > 0) {
                entries.add(new Entry(s.index(), s.techniqueId(), new LinkedHashMap<>(s.params())));
            }
        }
        return new Recipe(ex.sourceFile().getFileName().toString(), ex.sourceSha256(), dataOf(ex.data(), ex.inputs()), ex.acceptance().text(), entries);
    }

    /** The data as a recipe names it. */
    public static DataRef dataOf(Dataset data, InputOverrides inputs) {
        if (data != null) {
            Path src = data.source().toAbsolutePath();
            // a labelled IDX set is opened from its folder (images and labels pair there); an images file alone from itself
            Path p = data.labelled() && src.getParent() != null ? src.getParent() : src;
            return new DataRef("idx", p.toString(), data.labelled(), Map.of(), Map.of());
        }
        Map<String, List<Long>> shapes = new LinkedHashMap<>();
        Map<String, String> values = new LinkedHashMap<>();
        if (inputs != null) {
            inputs.shapes().forEach((k, v) -> shapes.put(k, java.util.Arrays.stream(v).boxed().toList()));
            inputs.values().forEach((k, v) -> values.put(k, v.isScalar() ? v.text() : Path.of(v.text()).toAbsolutePath().toString()));
        }
        return new DataRef(DataRef.GENERATED, null, null, shapes, values);
    }

    /** The acceptance rule the steps were judged by. */
    public Acceptance acceptanceRule() {
        return Acceptance.parse(acceptance, Acceptance.forSteps());
    }

    /** The recipe as the manifest and the report write it. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", FORMAT);
        Map<String, Object> src = new LinkedHashMap<>();
        src.put("file", sourceFile);
        src.put("sha256", sourceSha256);
        m.put("source", src);
        m.put("data", data.toMap());
        m.put("acceptance", acceptance);
        m.put("steps", steps.stream().map(Entry::toMap).toList());
        return m;
    }

    /** One line: "int8-dynamic(conv=false, ...) -> fp16(...)", or "the original model" with no step. */
    public String summary() {
        if (steps.isEmpty()) {
            return "the original model";
        }
        List<String> parts = new ArrayList<>();
        for (Entry e : steps) {
            parts.add(e.technique() + "(" + String.join(", ", e.params().entrySet().stream().map(x -> x.getKey() + "=" + x.getValue()).toList()) + ")");
        }
        return String.join(" -> ", parts);
    }

    /**
     * Reads a recipe: a JSON file as {@link #toMap} writes it, the same in YAML (.yaml, .yml), or an export's
     * {@code manifest.json} or a {@code report.json} (their {@code recipe}). Every technique and parameter is checked; each
     * problem is one sentence naming the file.
     */
    public static Recipe read(Path file) {
        String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
        ObjectMapper mapper = name.endsWith(".yaml") || name.endsWith(".yml") ? Json.yaml() : Json.mapper();
        JsonNode root;
        try {
            root = mapper.readTree(Files.readAllBytes(file));
        } catch (java.nio.file.NoSuchFileException e) {
            throw bad(file, "does not exist.");
        } catch (IOException e) {
            String msg = e.getMessage() == null ? e.toString() : e.getMessage().split("\n")[0];
            throw bad(file, "is not a readable recipe (" + msg + ").");
        }
        if (root != null && root.has("recipe") && root.get("recipe").isObject()) {
            root = root.get("recipe");
        }
        if (root == null || !root.isObject() || !root.has("steps")) {
            throw bad(file, "holds no recipe: EdgeFit expects an object with \"source\", \"data\", \"acceptance\" and \"steps\", as manifest.json writes it.");
        }
        JsonNode src = root.path("source");
        String sha = src.path("sha256").isTextual() ? src.path("sha256").asText() : null;
        String srcFile = src.path("file").isTextual() ? src.path("file").asText() : null;
        DataRef data = readData(file, root.path("data"));
        String acceptance = root.path("acceptance").isTextual() ? root.path("acceptance").asText() : null;
        if (acceptance != null) {
            try {
                Acceptance.parse(acceptance, Acceptance.forSteps());
            } catch (EdgeFitException e) {
                throw bad(file, "acceptance: " + e.getMessage());
            }
        }
        JsonNode ss = root.get("steps");
        if (!ss.isArray()) {
            throw bad(file, "\"steps\" must be a list of {\"technique\": ID, \"params\": {...}}.");
        }
        List<Entry> entries = new ArrayList<>();
        int n = 0;
        for (JsonNode s : ss) {
            n++;
            String where = "step " + n + " of the recipe";
            if (!s.path("technique").isTextual()) {
                throw bad(file, where + " names no technique (\"technique\": ID).");
            }
            String id = s.get("technique").asText();
            Map<String, Object> params = new LinkedHashMap<>();
            JsonNode p = s.path("params");
            if (!p.isMissingNode() && !p.isNull()) {
                if (!p.isObject()) {
                    throw bad(file, where + " (" + id + "): \"params\" must be an object of NAME: VALUE.");
                }
                for (Iterator<Map.Entry<String, JsonNode>> it = p.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> f = it.next();
                    JsonNode v = f.getValue();
                    params.put(f.getKey(), v.isNull() ? null : v.isBoolean() ? (Object) v.asBoolean() : v.isIntegralNumber() ? (Object) v.asLong()
                            : v.isNumber() ? (Object) v.asDouble() : v.asText());
                }
            }
            Entry e = new Entry(s.path("step").isInt() ? s.get("step").asInt() : n, id, params);
            try {
                e.resolveParams();
            } catch (EdgeFitException x) {
                throw bad(file, where + ": " + x.getMessage());
            }
            entries.add(e);
        }
        return new Recipe(srcFile, sha, data, acceptance == null ? Acceptance.forSteps().text() : acceptance, entries);
    }

    private static DataRef readData(Path file, JsonNode d) {
        if (d.isMissingNode() || d.isNull()) {
            return new DataRef(DataRef.GENERATED, null, null, Map.of(), Map.of());
        }
        String kind = d.path("kind").asText(DataRef.GENERATED);
        if (kind.equals(DataRef.GENERATED)) {
            Map<String, List<Long>> shapes = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = d.path("shapes").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                List<Long> dims = new ArrayList<>();
                f.getValue().forEach(x -> dims.add(x.asLong()));
                shapes.put(f.getKey(), dims);
            }
            Map<String, String> values = new LinkedHashMap<>();
            d.path("values").fields().forEachRemaining(f -> values.put(f.getKey(), f.getValue().asText()));
            DataRef r = new DataRef(kind, null, null, shapes, values);
            try {
                r.inputs();
            } catch (EdgeFitException e) {
                throw bad(file, "data: " + e.getMessage());
            }
            return r;
        }
        if (!kind.equals("idx")) {
            throw bad(file, "data kind '" + kind + "' is not one EdgeFit reads; it knows idx and generated.");
        }
        if (!d.path("path").isTextual()) {
            throw bad(file, "data of kind idx names no \"path\".");
        }
        return new DataRef(kind, d.get("path").asText(), d.path("labelled").isBoolean() ? d.get("labelled").asBoolean() : null, Map.of(), Map.of());
    }

    private static EdgeFitException bad(Path file, String problem) {
        return EdgeFitException.badParameter("Recipe " + file + ": " + problem);
    }
}
