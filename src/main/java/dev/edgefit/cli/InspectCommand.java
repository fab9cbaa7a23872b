package dev.edgefit.cli;

import dev.edgefit.common.EdgeFitException;
import dev.edgefit.data.InputGenerator;
import dev.edgefit.data.InputOverrides;
import dev.edgefit.model.Layouts;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.ModelStats;
import dev.edgefit.runtime.ShapeProbe;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "inspect", description = "Inputs, outputs, opset, parameters, MACs, size, operator histogram and per-layer table.")
final class InspectCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Parameters(paramLabel = "MODEL", description = "An .onnx file.")
    Path model;
    @Option(names = "--json", description = "Print one JSON document on stdout and nothing else.")
    boolean json;
    @picocli.CommandLine.Mixin
    InputOptions inputOptions = new InputOptions();

    @Override
    public Integer call() throws Exception {
        ModelSnapshot m = Cli.load(model);
        long fileBytes = Files.size(model);
        InputOverrides overrides = inputOptions.overrides(m, model);
        String note = null;
        Map<String, long[]> probed;
        try {
            probed = ShapeProbe.probe(m, new InputGenerator(m, overrides).generate(0));
        } catch (EdgeFitException e) {
            if (e.kind() == EdgeFitException.Kind.BAD_PARAMETER) {
                throw e;
            }
            probed = Map.of();
            note = "MACs and output shapes not measured: " + e.getMessage();
        } catch (RuntimeException e) {
            probed = Map.of();
            note = "MACs and output shapes not measured: " + EdgeFitException.describe(e);
        }
        ModelStats s = ModelStats.compute(m, probed);
        try {
            Cli.preprocessing(m);
        } catch (EdgeFitException e) {
            // inspect shows the model as it is; the commands that run it refuse it (see Cli.data)
            note = (note == null ? "" : note + " ") + e.getMessage();
        }
        if (note == null && !s.macsComplete()) {
            List<String> unknown = s.layers().stream().filter(l -> l.macs() == null).map(ModelStats.Layer::name).limit(5).toList();
            note = "MACs not known for " + s.layers().stream().filter(l -> l.macs() == null).count() + " layer(s), e.g. "
                    + String.join(", ", unknown) + "; the total is not measured.";
        }
        if (json) {
            Cli.json(spec, json(model, m, fileBytes, s, note));
            return 0;
        }
        PrintWriter o = Cli.out(spec);
        o.printf(Locale.ROOT, "%s%n", model);
        Cli.Table head = new Cli.Table("", "");
        head.row("size", String.format(Locale.ROOT, "%,d bytes", fileBytes));
        head.row("opset", m.opset() + " (IR version " + m.proto().getIrVersion() + (m.proto().getProducerName().isEmpty() ? ""
                : ", produced by " + m.proto().getProducerName() + " " + m.proto().getProducerVersion()).stripTrailing() + ")");
        head.row("parameters", String.format(Locale.ROOT, "%,d float elements", s.parameters()));
        if (s.quantizedElements() > 0) {
            head.row("quantized", String.format(Locale.ROOT, "%,d int8/uint8/int4 weight elements", s.quantizedElements()));
        }
        head.row("weights", String.format(Locale.ROOT, "%,d bytes", s.weightBytes()));
        head.row("MACs", s.macsComplete() ? String.format(Locale.ROOT, "%,d per inference", s.macs()) : "not measured");
        String layout = Layouts.modelLayout(m);
        if (layout != null) {
            head.row("layout", layout + (layout.equals(Layouts.NHWC) ? " (channels last; the graph transposes to NCHW)" : ""));
        }
        head.printTo(o, "  ", false);

        o.println();
        Cli.Table io = new Cli.Table("", "name", "type", "shape");
        m.inputs().forEach(i -> io.row("input", i.name(), i.dtype().label(), i.shapeText()));
        m.outputs().forEach(i -> io.row("output", i.name(), i.dtype().label(), i.shapeText()));
        io.printTo(o, "  ", true);

        o.println();
        Cli.Table ops = new Cli.Table("operator", "count").align("lr");
        s.opHistogram().entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue(Comparator.reverseOrder())
                .thenComparing(Map.Entry.comparingByKey())).forEach(e -> ops.row(e.getKey(), e.getValue()));
        ops.printTo(o, "  ", true);

        o.println();
        Cli.Table layers = new Cli.Table("layer", "op", "parameters", "MACs", "weight bytes", "output").align("llrrrl");
        for (ModelStats.Layer l : s.layers()) {
            layers.row(l.name(), l.opType(), l.parameters(), l.macs() == null ? "?" : l.macs(), l.weightBytes(),
                    l.outputShape() == null ? "" : dims(l.outputShape()));
        }
        layers.printTo(o, "  ", true);
        if (note != null) {
            o.println();
            o.println("note: " + note);
        }
        o.flush();
        return 0;
    }

    static String dims(long[] shape) {
        StringBuilder b = new StringBuilder();
        for (long d : shape) {
            b.append(b.length() == 0 ? "" : "x").append(d);
        }
        return b.toString();
    }

    static Map<String, Object> json(Path file, ModelSnapshot m, long fileBytes, ModelStats s, String note) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("file", file.toString());
        j.put("fileBytes", fileBytes);
        j.put("opset", m.opset());
        j.put("irVersion", m.proto().getIrVersion());
        j.put("producer", m.proto().getProducerName());
        j.put("parameters", s.parameters());
        j.put("quantizedElements", s.quantizedElements());
        j.put("weightBytes", s.weightBytes());
        j.put("macs", s.macsComplete() ? s.macs() : null);
        j.put("layout", Layouts.modelLayout(m));
        j.put("inputs", Cli.specs(m.inputs()));
        j.put("outputs", Cli.specs(m.outputs()));
        j.put("opHistogram", s.opHistogram());
        List<Map<String, Object>> layers = new ArrayList<>();
        for (ModelStats.Layer l : s.layers()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("name", l.name());
            e.put("opType", l.opType());
            e.put("parameters", l.parameters());
            e.put("macs", l.macs());
            e.put("weightBytes", l.weightBytes());
            e.put("outputShape", l.outputShape());
            layers.add(e);
        }
        j.put("layers", layers);
        j.put("note", note);
        return j;
    }
}
