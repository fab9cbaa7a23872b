package dev.edgefit.cli;

import dev.edgefit.common.EdgeFitException;
import dev.edgefit.common.Progress;
import dev.edgefit.device.Calibration;
import dev.edgefit.device.Constraints;
import dev.edgefit.device.DeviceCatalog;
import dev.edgefit.device.DeviceEstimates;
import dev.edgefit.device.DeviceProfile;
import dev.edgefit.device.Estimate;
import dev.edgefit.device.FitCheck;
import dev.edgefit.device.HostInfo;
import dev.edgefit.device.Workload;
import dev.edgefit.eval.EvalConfig;
import dev.edgefit.eval.Evaluator;
import dev.edgefit.model.ModelSnapshot;
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
import java.util.function.Supplier;

/** {@code estimate}: one line per device; {@code compare} (a subclass): devices side by side. */
@Command(name = "estimate", description = "Estimated latency (with its error band), peak RAM, flash and energy of a model on devices, "
        + "and whether it fits each; this-machine is measured.")
class EstimateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Parameters(paramLabel = "MODEL", description = "An .onnx file.")
    Path model;
    @Option(names = {"--device", "--devices"}, split = ",", required = true, paramLabel = "ID[,ID...]",
            description = "Device ids (see 'edgefit devices'), 'this-machine', or 'all'.")
    List<String> devices;
    @Option(names = "--runtime", paramLabel = "NAME", description = "Runtime to estimate on every device (default: each device's fastest).")
    String runtime;
    @Option(names = "--precision", paramLabel = "int8|fp16|fp32", description = "Estimate as if converted to this precision (default: the model's own).")
    String precision;
    @picocli.CommandLine.Mixin
    ConstraintOptions limits = new ConstraintOptions();
    @picocli.CommandLine.Mixin
    InputOptions inputOptions = new InputOptions();
    @Option(names = "--json", description = "Print one JSON document (an array, one entry per device) on stdout and nothing else.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        List<Estimate> estimates = run();
        if (json) {
            List<Map<String, Object>> out = new ArrayList<>();
            estimates.forEach(e -> out.add(json(e)));
            Cli.json(spec, out);
            return 0;
        }
        print(Cli.out(spec), estimates);
        return 0;
    }

    List<Estimate> run() throws Exception {
        if (precision != null) {
            precision = precision.toLowerCase(Locale.ROOT);
            if (!DeviceCatalog.PRECISIONS.contains(precision)) {
                throw EdgeFitException.badParameter("--precision must be one of " + String.join(", ", DeviceCatalog.PRECISIONS) + ", not '" + precision + "'.");
            }
        }
        ModelSnapshot m = Cli.load(model);
        var fixed = inputOptions.overrides(m, model);
        DeviceCatalog catalog = DeviceCatalog.withUserProfiles();
        PrintWriter err = spec.commandLine().getErr();
        catalog.problems().forEach(p -> err.println("edgefit: " + EdgeFitCli.oneLine(p.message())));
        err.flush();
        DeviceCatalog withHost = catalog.plus(HostInfo.detect().thisMachine());
        List<DeviceProfile> chosen = new ArrayList<>();
        for (String id : devices) {
            String t = id.trim();
            if (t.equals("all")) {
                chosen.addAll(catalog.profiles());
            } else if (!t.isEmpty()) {
                chosen.add(withHost.require(t));
            }
        }
        if (runtime != null && chosen.stream().noneMatch(d -> d.runtime(runtime).isPresent())) {
            throw EdgeFitException.badParameter("None of the devices has the runtime '" + runtime + "'; theirs: "
                    + String.join(", ", chosen.stream().flatMap(d -> d.runtimeIds().stream()).distinct().toList()) + ".");
        }
        Constraints user = limits.constraints();
        Workload natural = Workload.of(m, fixed, null);
        Workload converted = precision == null ? null : Workload.of(m, fixed, precision);
        long fileBytes = Files.size(model);
        Supplier<FitCheck.Measured> host = () -> {
            var mm = Evaluator.evaluate(model, EvalConfig.defaults().withRuns(5, 50).withInputs(fixed), Progress.NONE);
            return new FitCheck.Measured(fileBytes, mm.peakMemoryBytes(), mm.latencyMs() == null ? null : mm.latencyMs().p50());
        };
        List<Estimate> out = new ArrayList<>();
        Calibration cal = Calibration.of(catalog.profiles());
        java.util.Set<String> written = dev.edgefit.export.ExportFormat.writtenFor(m);
        for (DeviceProfile d : chosen) {
            Constraints c = user.isEmpty() ? null : user.orElse(d.defaultConstraints());
            out.addAll(DeviceEstimates.estimateMeasured(natural, converted, fileBytes, List.of(d), runtime, precision, c, cal, host, written));
        }
        return out;
    }

    void print(PrintWriter o, List<Estimate> estimates) {
        Cli.Table t = new Cli.Table("device", "runtime", "latency", "peak RAM", "flash", "energy", "fits", "notes").align("llrrrrll");
        for (Estimate e : estimates) {
            t.row(e.device(), e.runtime() == null ? "-" : e.runtime(), e.latencyText(), Constraints.formatBytes(e.peakRamBytes()),
                    Constraints.formatBytes(e.flashBytes()), e.energyText(), e.verdict().fitsText(), String.join(" ", e.reasons()));
        }
        t.printTo(o, "", true);
        o.println("Estimates (est.) come from a roofline model calibrated to published latencies; the band is the calibration's"
                + " leave-one-out error (docs/estimator.md); a band wider than the estimate itself is unknown and never fits. Peak RAM is"
                + " weights in RAM + largest live activations + runtime; this-machine's figures are measured.");
        o.flush();
    }

    static Map<String, Object> json(Estimate e) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("device", e.device());
        j.put("name", e.deviceName());
        j.put("runtime", e.runtime());
        j.put("precision", e.precision());
        j.put("latencyMs", e.latencyMs());
        j.put("errorBandPct", e.errorBandPct());
        j.put("measured", e.measured());
        j.put("basis", e.basis());
        j.put("peakRamBytes", e.peakRamBytes());
        j.put("flashBytes", e.flashBytes());
        j.put("energyMj", e.energyMj());
        j.put("fits", e.fits());
        j.put("verdict", e.verdict().id());
        j.put("reasons", e.reasons());
        j.put("fallbackOps", e.fallbackOps());
        List<Map<String, Object>> checks = new ArrayList<>();
        for (FitCheck.ConstraintResult r : e.checks()) {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("name", r.name());
            c.put("limit", r.limit());
            c.put("value", r.actual());
            c.put("status", r.status().id());
            if (r.thisMachine() != null) {
                c.put("thisMachine", r.thisMachine());
            }
            c.put("marginPct", Double.isNaN(r.marginPct()) ? null : r.marginPct());
            checks.add(c);
        }
        j.put("constraints", checks);
        j.put("formats", e.formats());
        j.put("resourceClass", e.resourceClass().id());
        return j;
    }

    /** {@code compare}: the same estimates with devices as columns. */
    @Command(name = "compare", description = "Devices side by side: estimated latency, peak RAM, flash, energy, each constraint with its margin, formats, class.")
    static final class CompareCommand extends EstimateCommand {
        @Override
        void print(PrintWriter o, List<Estimate> estimates) {
            List<String> header = new ArrayList<>(List.of(""));
            estimates.forEach(e -> header.add(e.device()));
            Cli.Table t = new Cli.Table(header.toArray(String[]::new)).align("l" + "r".repeat(estimates.size()));
            t.row(cells("runtime", estimates, e -> e.runtime() == null ? "-" : e.runtime()));
            t.row(cells("latency", estimates, Estimate::latencyText));
            t.row(cells("peak RAM", estimates, e -> Constraints.formatBytes(e.peakRamBytes())));
            t.row(cells("flash", estimates, e -> Constraints.formatBytes(e.flashBytes())));
            t.row(cells("energy", estimates, Estimate::energyText));
            List<String> names = new ArrayList<>();
            estimates.forEach(e -> e.checks().forEach(c -> {
                if (!names.contains(c.name())) {
                    names.add(c.name());
                }
            }));
            for (String n : names) {
                t.row(cells(n, estimates, e -> e.checks().stream().filter(c -> c.name().equals(n)).findFirst()
                        .map(c -> c.status().id() + (c.marginText().isEmpty() ? "" : " (" + c.marginText() + ")"))
                        .orElse("-")));
            }
            t.row(cells("fits", estimates, e -> e.verdict().fitsText()));
            t.row(cells("formats", estimates, e -> String.join(",", e.formats())));
            t.row(cells("class", estimates, e -> e.resourceClass().id()));
            t.printTo(o, "", true);
            for (Estimate e : estimates) {
                for (String r : e.reasons()) {
                    o.println(e.device() + ": " + r);
                }
            }
            o.println("Margins are (limit - figure) / limit, or how many times the limit a figure is once it is twice or more. Estimates (est.) carry the calibration's error band (docs/estimator.md).");
            o.flush();
        }

        private static Object[] cells(String label, List<Estimate> es, java.util.function.Function<Estimate, String> f) {
            Object[] r = new Object[es.size() + 1];
            r[0] = label;
            for (int i = 0; i < es.size(); i++) {
                r[i + 1] = f.apply(es.get(i));
            }
            return r;
        }
    }
}
