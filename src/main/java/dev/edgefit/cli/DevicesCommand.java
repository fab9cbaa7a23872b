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
    @Option(names = "--json", description = "Print one JSON document (an array) on stdout and nothing else.")
    boolean json;

    @Override
    public Integer call() {
        DeviceCatalog c = DeviceCatalog.withUserProfiles();
        PrintWriter err = spec.commandLine().getErr();
        for (DeviceCatalog.LoadProblem p : c.problems()) {
            err.println("edgefit: " + EdgeFitCli.oneLine(p.message()));
        }
        err.flush();
        if (json) {
            List<Map<String, Object>> out = new ArrayList<>();
            for (DeviceProfile d : c.profiles()) {
                out.add(json(d));
            }
            Cli.json(spec, out);
            return 0;
        }
        PrintWriter o = Cli.out(spec);
        Cli.Table t = new Cli.Table("id", "name", "platform", "class", "cores", "MHz", "RAM bytes", "storage bytes", "runtimes")
                .align("llllrrrrl");
        for (DeviceProfile d : c.profiles()) {
            t.row(d.id(), d.name(), d.platform().id(), d.resourceClass().id(), d.cpu().cores(), d.cpu().clockMhz(), d.ramBytes(),
                    d.storageBytes(), String.join(",", d.runtimeIds()));
        }
        t.printTo(o, "", true);
        if (c.profiles().isEmpty()) {
            o.println("(no device profiles loaded)");
        }
        o.flush();
        return 0;
    }

    static Map<String, Object> json(DeviceProfile d) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("id", d.id());
        j.put("name", d.name());
        j.put("platform", d.platform().id());
        j.put("resourceClass", d.resourceClass().id());
        j.put("cpu", d.cpu());
        j.put("ramBytes", d.ramBytes());
        j.put("externalRamBytes", d.externalRamBytes());
        j.put("storageBytes", d.storageBytes());
        j.put("memoryBandwidthGBs", d.memoryBandwidthGBs());
        j.put("typicalPowerW", d.typicalPowerW());
        j.put("peakPowerW", d.peakPowerW());
        j.put("accelerators", d.accelerators());
        j.put("runtimes", d.runtimeIds());
        j.put("runtimeDetails", d.runtimes());
        j.put("measurements", d.measurements());
        j.put("formats", d.formats());
        j.put("connectivity", d.connectivity());
        j.put("defaultConstraints", d.defaultConstraints());
        j.put("sources", d.sources());
        j.put("notes", d.notes());
        return j;
    }
}
