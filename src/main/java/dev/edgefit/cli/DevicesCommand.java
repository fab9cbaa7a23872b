package dev.edgefit.cli;

import dev.edgefit.device.DeviceCatalog;
import dev.edgefit.device.DeviceProfile;
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

@Command(name = "devices", description = "The device catalogue (device-profiles/*.yaml); each figure has a source in its file.")
final class DevicesCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Option(names = "--json")
    boolean json;

    @Override
    public Integer call() {
        DeviceCatalog c = DeviceCatalog.bundled();
        for (DeviceCatalog.LoadProblem p : c.problems()) {
            spec.commandLine().getErr().println("edgefit: " + p.message());
        }
        spec.commandLine().getErr().flush();
        List<Map<String, Object>> out = new ArrayList<>();
        for (DeviceProfile d : c.profiles()) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("id", d.id());
            j.put("name", d.name());
            j.put("platform", d.platform().id());
            j.put("resourceClass", d.resourceClass().id());
            j.put("cpu", d.cpu());
            j.put("ramBytes", d.ramBytes());
            j.put("storageBytes", d.storageBytes());
            j.put("runtimes", d.runtimes());
            j.put("formats", d.formats());
            j.put("defaultConstraints", d.defaultConstraints());
            out.add(j);
        }
        if (json) {
            Cli.json(spec, out);
            return 0;
        }
        PrintWriter o = Cli.out(spec);
        o.printf("%-18s %-34s %-14s %-10s %14s %16s  %s%n", "id", "name", "platform", "class", "RAM bytes", "storage bytes", "runtimes");
        for (DeviceProfile d : c.profiles()) {
            o.printf(Locale.ROOT, "%-18s %-34.34s %-14s %-10s %,14d %,16d  %s%n", d.id(), d.name(), d.platform().id(), d.resourceClass().id(),
                    d.ramBytes(), d.storageBytes(), String.join(",", d.runtimes()));
        }
        o.flush();
        return 0;
    }
}
