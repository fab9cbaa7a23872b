package dev.edgefit.cli;

import dev.edgefit.common.EdgeFitException;
import dev.edgefit.data.InputGenerator;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.ModelStats;
import dev.edgefit.model.OnnxModels;
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
    @Option(names = "--json", description = "Print one JSON document.")
    boolean json;
    @Option(names = "--shape", paramLabel = "NAME=DIMS", description = "Concrete shape of a dynamic input for MACs, e.g. input_ids=1x64.")
    List<String> shapes;

    @Override
    public Integer call() throws Exception {
        ModelSnapshot m = OnnxModels.load(model);
        String note = null;
        Map<String, long[]> probed;
        try {
            probed = ShapeProbe.probe(m, new InputGenerator(m, Cli.shapes(shapes)).generate(0));
        } catch (EdgeFitException e) {
            if (e.kind() == EdgeFitException.Kind.BAD_PARAMETER) {
                throw e;
            }
            probed = Map.of();
            note = "MACs not measured: " + e.getMessage();
        }
        ModelStats s = ModelStats.compute(m, probed);
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("file", model.toString());
        j.put("fileBytes", Files.size(model));
        j.put("opset", m.opset());
        j.put("irVersion", m.proto().getIrVersion());
        j.put("producer", m.proto().getProducerName());
        j.put("parameters", s.parameters());
        j.put("quantizedElements", s.quantizedElements());
        j.put("weightBytes", s.weightBytes());
        j.put("macs", s.macsComplete() ? s.macs() : null);
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
        if (json) {
            Cli.json(spec, j);
            return 0;
        }
        PrintWriter o = Cli.out(spec);
        o.printf(Locale.ROOT, "%s: %,d bytes, opset %d, %,d parameters, %s MACs%n", model, Files.size(model), m.opset(), s.parameters(),
                s.macsComplete() ? String.format(Locale.ROOT, "%,d", s.macs()) : "unknown");
        m.inputs().forEach(i -> o.printf("  input   %-24s %-8s %s%n", i.name(), i.dtype().label(), i.shapeText()));
        m.outputs().forEach(i -> o.printf("  output  %-24s %-8s %s%n", i.name(), i.dtype().label(), i.shapeText()));
        o.println("  operators " + s.opHistogram());
        o.printf("%n  %-36s %-20s %12s %16s %14s  %s%n", "layer", "op", "parameters", "MACs", "weight bytes", "output");
        for (ModelStats.Layer l : s.layers()) {
            o.printf(Locale.ROOT, "  %-36.36s %-20.20s %,12d %16s %,14d  %s%n", l.name(), l.opType(), l.parameters(),
                    l.macs() == null ? "?" : String.format(Locale.ROOT, "%,d", l.macs()), l.weightBytes(),
                    l.outputShape() == null ? "" : java.util.Arrays.toString(l.outputShape()));
        }
        if (note != null) {
            o.println(note);
        }
        o.flush();
        return 0;
    }
}
