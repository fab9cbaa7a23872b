package dev.edgefit.device;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.edgefit.common.AppPaths;
import dev.edgefit.common.AtomicFiles;
import dev.edgefit.common.EdgeFitException;
import dev.edgefit.common.Json;
import dev.edgefit.device.DeviceProfile.Accelerator;
import dev.edgefit.device.DeviceProfile.AcceleratorKind;
import dev.edgefit.device.DeviceProfile.Cpu;
import dev.edgefit.device.DeviceProfile.CpuCluster;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The device profiles in a folder: every {@code *.yaml} (or {@code *.yml}) file is one profile whose id is
 * the file name without the extension. A broken or incomplete file becomes a {@link LoadProblem} and the
 * other files still load.
 *
 * <h2>Schema</h2>
 * <pre>
 * name: Raspberry Pi 4 Model B (4 GB)        # required
 * platform: raspberry_pi                     # required: android, ios, raspberry_pi, nvidia_jetson,
 *                                            #   intel_nuc, arm_cortex, esp32, arduino
 * notes: which variant and why               # optional
 * cpu:                                       # required
 *   arch: aarch64                            # required
 *   model: Broadcom BCM2711 (Cortex-A72)     # required
 *   cores: 4                                 # required, whole number &gt; 0
 *   clockMhz: 1500                           # required: the fastest core's clock
 *   simd: [neon]                             # optional
 *   clusters:                                # optional; counts add up to cores, top clock = clockMhz
 *     - {core: Cortex-A72, count: 4, clockMhz: 1500}
 *   macsPerCycle: {int8: 16, fp32: 8}        # optional: peak MACs per cycle of one core, by precision
 * ramBytes: 4GiB                             # required; a whole number of bytes or a size with a unit
 * externalRamBytes: 8MiB                     # optional (e.g. PSRAM)
 * storageBytes: 32GB                         # required (flash for microcontrollers)
 * memoryBandwidthGBs: 12.8                   # optional, GB/s
 * typicalPowerW: 3.0                         # optional
 * peakPowerW: 6.4                            # optional
 * accelerators:                              # optional
 *   - {kind: gpu, name: ..., peakGops: {fp16: 1000}, source: ...}   # source required
 * runtimes:                                  # optional; an entry is an id or a mapping:
 *   - id: tflite-cpu                         #   required
 *     target: cpu                            #   cpu (default), gpu, npu or tpu (needs that accelerator)
 *     threads: 4                             #   CPU cores used, at most cpu.cores (default 1)
 *     precisions: [int8, fp32]               #   int8, fp16, fp32
 *     ops: [Conv, Gemm]                      #   accelerators: ONNX op types taken (default all)
 *     fallback: tflite-cpu                   #   accelerators: CPU runtime for the rest
 *     weightsIn: flash                       #   flash (microcontrollers) or ram (default)
 *     ramOverheadBytes: 16KiB                #   the runtime's own memory
 *     opOverheadUs: 5                        #   fixed cost per operator
 *     opOverheadFitted: true                 #   that cost was fitted to this profile's measurements (default false)
 *     formats: [tflite]                      #   the artifact formats it reads (tflite, tflite-micro, onnx, ort, tensorrt, coreml, torchscript)
 *     vectorized: false                      #   kernels without SIMD (TFLM reference): 1 MAC/cycle/thread
 *     source: "..."                          #   required for a mapping
 * formats: [tflite, onnx, ort]               # optional
 * connectivity: [wifi, bluetooth, ethernet]  # optional
 * defaultConstraints:                        # optional; each limit optional
 *   maxModelBytes: 1GiB
 *   maxRamBytes: 2GiB
 *   maxLatencyMs: 100                        # or "100ms"
 * sources:                                   # required: one entry per figure given
 *   ramBytes: "Raspberry Pi 4 Model B product brief, https://..."
 * measurements:                              # optional: published latencies, the estimator's calibration
 *   - {runtime: tflm, model: mlperf-tiny-ic, precision: int8, latencyMs: 704.2, source: "..."}
 * </pre>
 * Required sources: {@code ramBytes}, {@code storageBytes}, {@code cpu.cores}, {@code cpu.clockMhz}, and
 * for each optional figure that is present: {@code externalRamBytes}, {@code memoryBandwidthGBs},
 * {@code typicalPowerW}, {@code peakPowerW}, {@code cpu.clusters}, {@code cpu.macsPerCycle}, {@code connectivity}. A measurement
 * names one of the profile's runtimes and a model of {@link ReferenceWorkloads}. Sizes in text use
 * {@link Constraints#parseBytes}: {@code MB} is 10^6 bytes and {@code MiB} is 2^20. Unknown fields are
 * reported, so that a misspelt figure is never silently dropped.
 */
public final class DeviceCatalog {
    /** The largest profile file read (the bundled ones are 2 to 6 KB): a bigger file is a problem, not a 10 MB parse. */
    public static final long MAX_PROFILE_BYTES = 256 * 1024;
    /** Folder name of the bundled profiles, next to the working directory or the jar. */
    public static final String BUNDLED_FOLDER = "device-profiles";

    /** One file that did not load: the message is one sentence that names the file and the field. */
    public record LoadProblem(Path file, String message) {
    }

    private static final Set<String> TOP_FIELDS = Set.of("name", "platform", "notes", "cpu", "ramBytes",
            "externalRamBytes", "storageBytes", "memoryBandwidthGBs", "typicalPowerW", "peakPowerW",
            "accelerators", "runtimes", "formats", "defaultConstraints", "sources", "measurements", "connectivity");
    private static final Set<String> CPU_FIELDS = Set.of("arch", "model", "cores", "clockMhz", "simd", "clusters", "macsPerCycle");
    private static final Set<String> RUNTIME_FIELDS = Set.of("id", "target", "threads", "precisions", "ops", "fallback",
            "weightsIn", "ramOverheadBytes", "opOverheadUs", "opOverheadFitted", "source", "vectorized", "formats");
    private static final Set<String> MEASUREMENT_FIELDS = Set.of("runtime", "model", "precision", "latencyMs", "source");
    /** Precisions a runtime, a measurement or an accelerator's throughput can name. */
    public static final List<String> PRECISIONS = List.of("int8", "fp16", "fp32");
    /** Artifact formats a runtime may read (a runtime's {@code formats}). */
    public static final List<String> FORMATS = List.of("tflite", "tflite-micro", "onnx", "ort", "tensorrt", "coreml", "torchscript");
    private static final Set<String> CLUSTER_FIELDS = Set.of("core", "count", "clockMhz");
    private static final Set<String> ACCELERATOR_FIELDS = Set.of("kind", "name", "peakGops", "source");
    private static final Set<String> CONSTRAINT_FIELDS = Set.of("maxModelBytes", "maxRamBytes", "maxLatencyMs");
    /** Figures that always need a source. */
    static final List<String> REQUIRED_SOURCES = List.of("ramBytes", "storageBytes", "cpu.cores", "cpu.clockMhz");
    /** Every key a sources map may hold. */
    static final Set<String> SOURCE_KEYS = Set.of("name", "platform", "ramBytes", "externalRamBytes", "storageBytes",
            "memoryBandwidthGBs", "typicalPowerW", "peakPowerW", "cpu.arch", "cpu.model", "cpu.cores", "cpu.clockMhz",
            "cpu.simd", "cpu.clusters", "cpu.macsPerCycle", "runtimes", "formats", "defaultConstraints", "connectivity");

    private final Path directory;
    private final List<DeviceProfile> profiles;
    private final List<LoadProblem> problems;

    private DeviceCatalog(Path directory, List<DeviceProfile> profiles, List<LoadProblem> problems) {
        this.directory = directory;
        List<DeviceProfile> sorted = new ArrayList<>(profiles);
        sorted.sort(Comparator.comparing(DeviceProfile::id));
        this.profiles = List.copyOf(sorted);
        this.problems = List.copyOf(problems);
    }

    /** Reads every profile in {@code dir}; never throws for a bad file (see {@link #problems()}). */
    public static DeviceCatalog load(Path dir) {
        List<DeviceProfile> loaded = new ArrayList<>();
        List<LoadProblem> problems = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            problems.add(new LoadProblem(dir, dir + ": the device profile folder does not exist."));
            return new DeviceCatalog(dir, loaded, problems);
        }
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.{yaml,yml}")) {
            ds.forEach(files::add);
        } catch (IOException e) {
            problems.add(new LoadProblem(dir, dir + ": the device profile folder could not be listed (" + e.getMessage() + ")."));
            return new DeviceCatalog(dir, loaded, problems);
        }
        files.sort(Comparator.comparing(p -> p.getFileName().toString()));
        Map<String, Path> seen = new LinkedHashMap<>();
        for (Path f : files) {
            if (!Files.isRegularFile(f)) {
                continue;
            }
            String id = idOf(f);
            Path earlier = seen.putIfAbsent(id, f);
            if (earlier != null) {
                problems.add(new LoadProblem(f, f + ": has the same id '" + id + "' as " + earlier.getFileName() + ", so it was skipped."));
                continue;
            }
            Parser parser = new Parser(f);
            DeviceProfile p = parser.parse();
            if (p != null) {
                loaded.add(p);
            } else {
                problems.addAll(parser.problems);
            }
        }
        return new DeviceCatalog(dir, loaded, problems);
    }

    /**
     * The profiles that ship with EdgeFit: {@code device-profiles/} under the first of
     * {@link AppPaths#candidates()} that has one ({@code edgefit.root}, the working directory, the jar's
     * folder, its parent).
     */
    public static DeviceCatalog bundled() {
        Optional<Path> dir = AppPaths.find(BUNDLED_FOLDER);
        if (dir.isEmpty()) {
            Path where = Path.of(BUNDLED_FOLDER);
            return new DeviceCatalog(where, List.of(), List.of(new LoadProblem(where,
                    BUNDLED_FOLDER + ": the bundled device profile folder was not found in any of " + AppPaths.candidates() + ".")));
        }
        return load(dir.get());
    }

    /** The folder of the user's own profiles: {@code device-profiles/} in {@link AppPaths#configFolder()}. */
    public static Path userFolder() {
        return AppPaths.configFolder().resolve(BUNDLED_FOLDER);
    }

    /**
     * The bundled profiles plus the user's ({@link #userFolder()}, when it exists). A user profile with the id of a
     * bundled one replaces it; problems of both folders are reported.
     */
    public static DeviceCatalog withUserProfiles() {
        DeviceCatalog bundled = bundled();
        Path dir = userFolder();
        if (!Files.isDirectory(dir)) {
            return bundled;
        }
        DeviceCatalog user = load(dir);
        List<DeviceProfile> all = new ArrayList<>(bundled.profiles);
        all.removeIf(p -> user.find(p.id()).isPresent());
        all.addAll(user.profiles);
        List<LoadProblem> problems = new ArrayList<>(bundled.problems);
        problems.addAll(user.problems);
        return new DeviceCatalog(bundled.directory, all, problems);
    }

    /** True if this profile was read from the user's folder (and may be edited there). */
    public static boolean isUserProfile(DeviceProfile p) {
        return Files.isRegularFile(userFolder().resolve(p.id() + ".yaml"));
    }

    /**
     * One profile file, e.g. one the user opened.
     *
     * @throws EdgeFitException (BAD_PARAMETER) with the first problem's sentence if the file does not load
     */
    public static DeviceProfile loadFile(Path file) {
        Parser parser = new Parser(file);
        DeviceProfile p = parser.parse();
        if (p == null) {
            throw EdgeFitException.badParameter(parser.problems.get(0).message());
        }
        return p;
    }

    /** Writes a profile as {@code dir/<id>.yaml} in the schema above, atomically; returns the file. */
    public static Path write(DeviceProfile p, Path dir) {
        Path file = dir.resolve(p.id() + ".yaml");
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", p.name());
        m.put("platform", p.platform().id());
        if (p.notes() != null) {
            m.put("notes", p.notes());
        }
        Map<String, Object> cpu = new LinkedHashMap<>();
        cpu.put("arch", p.cpu().arch());
        cpu.put("model", p.cpu().model());
        cpu.put("cores", p.cpu().cores());
        if (p.cpu().clockMhz() != null) {
            cpu.put("clockMhz", p.cpu().clockMhz());
        }
        if (!p.cpu().simd().isEmpty()) {
            cpu.put("simd", p.cpu().simd());
        }
        if (!p.cpu().macsPerCycle().isEmpty()) {
            cpu.put("macsPerCycle", p.cpu().macsPerCycle());
        }
        if (!p.cpu().clusters().isEmpty()) {
            List<Map<String, Object>> cl = new ArrayList<>();
            for (CpuCluster c : p.cpu().clusters()) {
                Map<String, Object> cm = new LinkedHashMap<>();
                cm.put("core", c.core());
                cm.put("count", c.count());
                cm.put("clockMhz", c.clockMhz());
                cl.add(cm);
            }
            cpu.put("clusters", cl);
        }
        m.put("cpu", cpu);
        m.put("ramBytes", p.ramBytes());
        putIf(m, "externalRamBytes", p.externalRamBytes());
        m.put("storageBytes", p.storageBytes());
        putIf(m, "memoryBandwidthGBs", p.memoryBandwidthGBs());
        putIf(m, "typicalPowerW", p.typicalPowerW());
        putIf(m, "peakPowerW", p.peakPowerW());
        if (!p.accelerators().isEmpty()) {
            List<Map<String, Object>> al = new ArrayList<>();
            for (Accelerator a : p.accelerators()) {
                Map<String, Object> am = new LinkedHashMap<>();
                am.put("kind", a.kind().id());
                am.put("name", a.name());
                if (!a.peakGops().isEmpty()) {
                    am.put("peakGops", a.peakGops());
                }
                am.put("source", a.source());
                al.add(am);
            }
            m.put("accelerators", al);
        }
        if (!p.runtimes().isEmpty()) {
            List<Object> rl = new ArrayList<>();
            for (DeviceProfile.Runtime r : p.runtimes()) {
                if (r.source() == null) {
                    rl.add(r.id());
                    continue;
                }
                Map<String, Object> rm = new LinkedHashMap<>();
                rm.put("id", r.id());
                rm.put("target", r.target().id());
                if (r.threads() > 1) {
                    rm.put("threads", r.threads());
                }
                if (!r.precisions().isEmpty()) {
                    rm.put("precisions", r.precisions());
                }
                if (!r.ops().isEmpty()) {
                    rm.put("ops", r.ops());
                }
                putIf(rm, "fallback", r.fallback());
                if (r.weightsInFlash()) {
                    rm.put("weightsIn", "flash");
                }
                putIf(rm, "ramOverheadBytes", r.ramOverheadBytes());
                putIf(rm, "opOverheadUs", r.opOverheadUs());
                if (r.opOverheadFitted()) {
                    rm.put("opOverheadFitted", true);
                }
                if (!r.formats().isEmpty()) {
                    rm.put("formats", r.formats());
                }
                if (!r.vectorized()) {
                    rm.put("vectorized", false);
                }
                rm.put("source", r.source());
                rl.add(rm);
            }
            m.put("runtimes", rl);
        }
        if (!p.formats().isEmpty()) {
            m.put("formats", p.formats());
        }
        if (!p.connectivity().isEmpty()) {
            m.put("connectivity", p.connectivity());
        }
        Constraints c = p.defaultConstraints();
        if (!c.isEmpty()) {
            Map<String, Object> cm = new LinkedHashMap<>();
            putIf(cm, "maxModelBytes", c.maxModelBytes());
            putIf(cm, "maxRamBytes", c.maxRamBytes());
            putIf(cm, "maxLatencyMs", c.maxLatencyMs());
            m.put("defaultConstraints", cm);
        }
        m.put("sources", p.sources());
        if (!p.measurements().isEmpty()) {
            List<Map<String, Object>> ml = new ArrayList<>();
            for (DeviceProfile.Measurement x : p.measurements()) {
                Map<String, Object> mm = new LinkedHashMap<>();
                mm.put("runtime", x.runtime());
                mm.put("model", x.model());
                mm.put("precision", x.precision());
                mm.put("latencyMs", x.latencyMs());
                mm.put("source", x.source());
                ml.add(mm);
            }
            m.put("measurements", ml);
        }
        try {
            byte[] bytes = Json.yaml().writeValueAsBytes(m);
            AtomicFiles.write(file, bytes);
        } catch (JsonProcessingException e) {
            throw EdgeFitException.io(file, "could not be written as YAML (" + e.getOriginalMessage() + ")", e);
        }
        return file;
    }

    /** The folder this catalog was read from. */
    public Path directory() {
        return directory;
    }

    /** The profiles that loaded, sorted by id. */
    public List<DeviceProfile> profiles() {
        return profiles;
    }

    /** The profile with this id (the file name without .yaml). */
    public Optional<DeviceProfile> find(String id) {
        return profiles.stream().filter(p -> p.id().equals(id)).findFirst();
    }

    /**
     * The profile with this id.
     *
     * @throws EdgeFitException (BAD_PARAMETER) naming the known ids when there is none
     */
    public DeviceProfile require(String id) {
        return find(id).orElseThrow(() -> EdgeFitException.badParameter("Unknown device '" + id + "'; known: "
                + String.join(", ", profiles.stream().map(DeviceProfile::id).toList()) + "."));
    }

    /** One entry per problem found; a file with problems is not among {@link #profiles()}. */
    public List<LoadProblem> problems() {
        return problems;
    }

    /** A catalog with one more profile (e.g. {@link HostInfo#thisMachine()}), replacing one with the same id. */
    public DeviceCatalog plus(DeviceProfile p) {
        List<DeviceProfile> l = new ArrayList<>(profiles);
        l.removeIf(q -> q.id().equals(p.id()));
        l.add(p);
        return new DeviceCatalog(directory, l, problems);
    }

    static String idOf(Path file) {
        String n = file.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }

    private static void putIf(Map<String, Object> m, String k, Object v) {
        if (v != null) {
            m.put(k, v);
        }
    }

    /** Reads one file, collecting every problem as a sentence. */
    private static final class Parser {
        private final Path file;
        private final List<LoadProblem> problems = new ArrayList<>();

        Parser(Path file) {
            this.file = file;
        }

        /** The profile, or null with {@link #problems} filled. */
        DeviceProfile parse() {
            JsonNode root;
            try {
                long size = Files.size(file);
                if (size > MAX_PROFILE_BYTES) {
                    problem("is " + size + " bytes; a device profile is a few kilobytes, and EdgeFit reads profiles of at most "
                            + MAX_PROFILE_BYTES + " bytes");
                    return null;
                }
            } catch (IOException e) {
                problem("could not be read (" + e.getMessage() + ")");
                return null;
            }
            try (InputStream in = Files.newInputStream(file)) {
                root = Json.yaml().reader().with(JsonParser.Feature.STRICT_DUPLICATE_DETECTION).readTree(in);
            } catch (JsonProcessingException e) {
                JsonLocation loc = e.getLocation();
                String where = loc == null || loc.getLineNr() < 0 ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
                problem("is not valid YAML" + where + " (" + firstLine(e.getOriginalMessage()) + ")");
                return null;
            } catch (IOException e) {
                problem("could not be read (" + e.getMessage() + ")");
                return null;
            }
            if (root == null || root.isMissingNode() || root.isNull()) {
                problem("is empty; a device profile needs at least name, platform, cpu, ramBytes, storageBytes and sources");
                return null;
            }
            if (!root.isObject()) {
                problem("must be a YAML mapping of fields (name, platform, cpu, ramBytes, storageBytes, sources, ...)");
                return null;
            }
            unknownFields(root, "", TOP_FIELDS);

            String name = text(root, "name", true);
            Platform platform = null;
            String platformText = text(root, "platform", true);
            if (platformText != null) {
                platform = Platform.parse(platformText).orElse(null);
                if (platform == null) {
                    problem("platform '" + platformText + "' is unknown (known: " + Platform.ids() + ")");
                }
            }
            String notes = text(root, "notes", false);
            Cpu cpu = cpu(root.get("cpu"));
            Long ram = bytes(root, "ramBytes", true);
            Long externalRam = bytes(root, "externalRamBytes", false);
            Long storage = bytes(root, "storageBytes", true);
            Double bandwidth = positive(root, "memoryBandwidthGBs", "GB/s");
            Double typicalW = positive(root, "typicalPowerW", "watts");
            Double peakW = positive(root, "peakPowerW", "watts");
            if (typicalW != null && peakW != null && peakW < typicalW) {
                problem("peakPowerW (" + peakW + ") is below typicalPowerW (" + typicalW + ")");
            }
            List<Accelerator> accelerators = accelerators(root.get("accelerators"));
            List<DeviceProfile.Runtime> runtimes = runtimes(root.get("runtimes"), cpu, accelerators);
            List<String> formats = strings(root, "formats");
            List<String> connectivity = strings(root, "connectivity");
            List<DeviceProfile.Measurement> measurements = measurements(root.get("measurements"), runtimes);
            Constraints constraints = constraints(root.get("defaultConstraints"), ram, externalRam, storage);
            Map<String, String> sources = sources(root.get("sources"));

            if (sources != null) {
                // A missing figure is already reported; ask for sources of the figures that are present.
                Set<String> needed = new LinkedHashSet<>();
                if (ram != null) {
                    needed.add("ramBytes");
                }
                if (storage != null) {
                    needed.add("storageBytes");
                }
                if (cpu != null) {
                    needed.add("cpu.cores");
                    needed.add("cpu.clockMhz");
                }
                if (externalRam != null) {
                    needed.add("externalRamBytes");
                }
                if (bandwidth != null) {
                    needed.add("memoryBandwidthGBs");
                }
                if (typicalW != null) {
                    needed.add("typicalPowerW");
                }
                if (peakW != null) {
                    needed.add("peakPowerW");
                }
                if (cpu != null && !cpu.clusters().isEmpty()) {
                    needed.add("cpu.clusters");
                }
                if (cpu != null && !cpu.macsPerCycle().isEmpty()) {
                    needed.add("cpu.macsPerCycle");
                }
                if (!connectivity.isEmpty()) {
                    needed.add("connectivity");
                }
                for (String k : needed) {
                    if (!sources.containsKey(k)) {
                        problem(k + " has no source: add sources." + k + " naming the datasheet or vendor page it comes from");
                    }
                }
            }
            if (!problems.isEmpty()) {
                return null;
            }
            try {
                return new DeviceProfile(idOf(file), name, platform, cpu, ram, externalRam, storage, accelerators,
                        bandwidth, typicalW, peakW, runtimes, formats, constraints, sources, notes, measurements, connectivity);
            } catch (RuntimeException e) {
                problem("could not be built (" + e.getMessage() + ")");
                return null;
            }
        }

        private Cpu cpu(JsonNode n) {
            if (n == null || n.isNull()) {
                problem("cpu is missing (it needs arch, model, cores and clockMhz)");
                return null;
            }
            if (!n.isObject()) {
                problem("cpu must be a mapping with arch, model, cores and clockMhz");
                return null;
            }
            int before = problems.size();
            unknownFields(n, "cpu.", CPU_FIELDS);
            String arch = text(n, "arch", "cpu.arch", true);
            String model = text(n, "model", "cpu.model", true);
            Long cores = whole(n, "cores", "cpu.cores", true, "cores");
            Long clock = whole(n, "clockMhz", "cpu.clockMhz", true, "MHz");
            List<String> simd = strings(n, "simd", "cpu.simd");
            Map<String, Double> macs = precisionMap(n.get("macsPerCycle"), "cpu.macsPerCycle", "multiply-accumulates per cycle");
            List<CpuCluster> clusters = new ArrayList<>();
            JsonNode cl = n.get("clusters");
            if (cl != null && !cl.isNull()) {
                if (!cl.isArray()) {
                    problem("cpu.clusters must be a list of {core, count, clockMhz}");
                } else {
                    for (int i = 0; i < cl.size(); i++) {
                        JsonNode c = cl.get(i);
                        String path = "cpu.clusters[" + i + "]";
                        if (!c.isObject()) {
                            problem(path + " must be a mapping with core, count and clockMhz");
                            continue;
                        }
                        unknownFields(c, path + ".", CLUSTER_FIELDS);
                        String core = text(c, "core", path + ".core", true);
                        Long count = whole(c, "count", path + ".count", true, "cores");
                        Long cmhz = whole(c, "clockMhz", path + ".clockMhz", true, "MHz");
                        if (core != null && count != null && cmhz != null) {
                            clusters.add(new CpuCluster(core, count.intValue(), cmhz.intValue()));
                        }
                    }
                    if (cores != null && clock != null && clusters.size() == cl.size() && !clusters.isEmpty()) {
                        int sum = clusters.stream().mapToInt(CpuCluster::count).sum();
                        int top = clusters.stream().mapToInt(CpuCluster::clockMhz).max().orElse(0);
                        if (sum != cores) {
                            problem("cpu.clusters add up to " + sum + " cores but cpu.cores is " + cores);
                        }
                        if (top != clock) {
                            problem("cpu.clockMhz is " + clock + " but the fastest of cpu.clusters runs at " + top + " MHz");
                        }
                    }
                }
            }
            if (problems.size() > before || arch == null || model == null || cores == null || clock == null) {
                return null;
            }
            return new Cpu(arch, model, cores.intValue(), clock.intValue(), simd, clusters, macs);
        }

        private List<Accelerator> accelerators(JsonNode n) {
            List<Accelerator> out = new ArrayList<>();
            if (n == null || n.isNull()) {
                return out;
            }
            if (!n.isArray()) {
                problem("accelerators must be a list of {kind, name, peakGops, source}");
                return out;
            }
            for (int i = 0; i < n.size(); i++) {
                JsonNode a = n.get(i);
                String path = "accelerators[" + i + "]";
                if (!a.isObject()) {
                    problem(path + " must be a mapping with kind, name and source");
                    continue;
                }
                unknownFields(a, path + ".", ACCELERATOR_FIELDS);
                String kindText = text(a, "kind", path + ".kind", true);
                AcceleratorKind kind = null;
                if (kindText != null) {
                    try {
                        kind = AcceleratorKind.valueOf(kindText.trim().toUpperCase(Locale.ROOT));
                    } catch (IllegalArgumentException e) {
                        problem(path + ".kind '" + kindText + "' is unknown (known: gpu, npu, tpu)");
                    }
                }
                String name = text(a, "name", path + ".name", true);
                String source = text(a, "source", path + ".source", false);
                if (source == null && !a.has("source")) {
                    problem(path + ".source is missing: name the datasheet or vendor page that documents this accelerator");
                }
                Map<String, Double> peak = precisionMap(a.get("peakGops"), path + ".peakGops", "giga-operations per second");
                if (kind != null && name != null && source != null) {
                    out.add(new Accelerator(kind, name, peak, source));
                }
            }
            return out;
        }

        /** A map from precision (int8, fp16, fp32) to a positive number; empty when absent. */
        private Map<String, Double> precisionMap(JsonNode n, String path, String unit) {
            Map<String, Double> out = new LinkedHashMap<>();
            if (n == null || n.isNull()) {
                return out;
            }
            if (!n.isObject()) {
                problem(path + " must map a precision (" + String.join(", ", PRECISIONS) + ") to " + unit);
                return out;
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String k = e.getKey().toLowerCase(Locale.ROOT);
                JsonNode v = e.getValue();
                if (!PRECISIONS.contains(k)) {
                    problem(path + "." + e.getKey() + " is not a known precision (known: " + String.join(", ", PRECISIONS) + ")");
                } else if (!v.isNumber() || !(v.asDouble() > 0) || Double.isInfinite(v.asDouble())) {
                    problem(path + "." + e.getKey() + " must be a number of " + unit + " greater than zero, not '" + v.asText() + "'");
                } else {
                    out.put(k, v.asDouble());
                }
            }
            return out;
        }

        private List<DeviceProfile.Runtime> runtimes(JsonNode n, Cpu cpu, List<Accelerator> accelerators) {
            List<DeviceProfile.Runtime> out = new ArrayList<>();
            if (n == null || n.isNull()) {
                return out;
            }
            if (!n.isArray()) {
                problem("runtimes must be a list of runtime ids or of {id, target, threads, precisions, source}");
                return out;
            }
            Set<String> ids = new LinkedHashSet<>();
            for (int i = 0; i < n.size(); i++) {
                JsonNode r = n.get(i);
                String path = "runtimes[" + i + "]";
                if (r.isTextual() && !r.asText().isBlank()) {
                    String id = r.asText().trim().toLowerCase(Locale.ROOT);
                    if (ids.add(id)) {
                        out.add(new DeviceProfile.Runtime(id, DeviceProfile.Target.CPU, 1, List.of(), List.of(), null, false, null, null, null, true));
                    } else {
                        problem(path + " repeats the runtime '" + id + "'");
                    }
                    continue;
                }
                if (!r.isObject()) {
                    problem(path + " must be a runtime id or a mapping with id, target, precisions and source");
                    continue;
                }
                int before = problems.size();
                unknownFields(r, path + ".", RUNTIME_FIELDS);
                String id = text(r, "id", path + ".id", true);
                DeviceProfile.Target target = DeviceProfile.Target.CPU;
                String targetText = text(r, "target", path + ".target", false);
                if (targetText != null) {
                    try {
                        target = DeviceProfile.Target.valueOf(targetText.toUpperCase(Locale.ROOT));
                    } catch (IllegalArgumentException e) {
                        problem(path + ".target '" + targetText + "' is unknown (known: cpu, gpu, npu, tpu)");
                    }
                }
                AcceleratorKind needs = target.acceleratorKind();
                if (needs != null && accelerators.stream().noneMatch(a -> a.kind() == needs)) {
                    problem(path + ".target is " + target.id() + " but the profile lists no " + target.id() + " under accelerators");
                }
                Long threads = whole(r, "threads", path + ".threads", false, "threads");
                if (threads != null && cpu != null && threads > cpu.cores()) {
                    problem(path + ".threads (" + threads + ") is more than cpu.cores (" + cpu.cores() + ")");
                }
                List<String> precisions = strings(r, "precisions", path + ".precisions");
                for (String p : precisions) {
                    if (!PRECISIONS.contains(p)) {
                        problem(path + ".precisions names '" + p + "', not a known precision (known: " + String.join(", ", PRECISIONS) + ")");
                    }
                }
                List<String> runtimeFormats = strings(r, "formats", path + ".formats");
                for (String f : runtimeFormats) {
                    if (!FORMATS.contains(f)) {
                        problem(path + ".formats names '" + f + "', not a known format (known: " + String.join(", ", FORMATS) + ")");
                    }
                }
                List<String> ops = new ArrayList<>();
                JsonNode opsNode = r.get("ops");
                if (opsNode != null && !opsNode.isNull()) {
                    if (!opsNode.isArray()) {
                        problem(path + ".ops must be a list of ONNX operator types");
                    } else {
                        opsNode.forEach(o -> ops.add(o.asText().trim()));
                    }
                }
                String fallback = text(r, "fallback", path + ".fallback", false);
                String weightsIn = text(r, "weightsIn", path + ".weightsIn", false);
                if (weightsIn != null && !weightsIn.equals("flash") && !weightsIn.equals("ram")) {
                    problem(path + ".weightsIn must be flash or ram, not '" + weightsIn + "'");
                }
                Long ramOverhead = bytes(r, "ramOverheadBytes", path + ".ramOverheadBytes", false);
                Double opOverhead = null;
                JsonNode oo = r.get("opOverheadUs");
                if (oo != null && !oo.isNull()) {
                    if (!oo.isNumber() || oo.asDouble() < 0) {
                        problem(path + ".opOverheadUs must be a number of microseconds, zero or more, not '" + oo.asText() + "'");
                    } else {
                        opOverhead = oo.asDouble();
                    }
                }
                boolean fitted = false;
                JsonNode fit = r.get("opOverheadFitted");
                if (fit != null && !fit.isNull()) {
                    if (!fit.isBoolean()) {
                        problem(path + ".opOverheadFitted must be true or false, not '" + fit.asText() + "'");
                    } else if (fit.asBoolean() && opOverhead == null) {
                        problem(path + ".opOverheadFitted needs opOverheadUs");
                    } else {
                        fitted = fit.asBoolean();
                    }
                }
                String source = text(r, "source", path + ".source", true);
                boolean vectorized = true;
                JsonNode vec = r.get("vectorized");
                if (vec != null && !vec.isNull()) {
                    if (!vec.isBoolean()) {
                        problem(path + ".vectorized must be true or false, not '" + vec.asText() + "'");
                    } else {
                        vectorized = vec.asBoolean();
                    }
                }
                if (id != null && !ids.add(id.toLowerCase(Locale.ROOT))) {
                    problem(path + " repeats the runtime '" + id + "'");
                }
                if (problems.size() == before && id != null) {
                    out.add(new DeviceProfile.Runtime(id.toLowerCase(Locale.ROOT), target, threads == null ? 1 : threads.intValue(),
                            precisions, ops, fallback == null ? null : fallback.toLowerCase(Locale.ROOT), "flash".equals(weightsIn),
                            ramOverhead, opOverhead, source, vectorized, fitted, runtimeFormats));
                }
            }
            for (DeviceProfile.Runtime r : out) {
                if (r.fallback() != null) {
                    DeviceProfile.Runtime f = out.stream().filter(q -> q.id().equals(r.fallback())).findFirst().orElse(null);
                    if (f == null) {
                        problem("runtime " + r.id() + " falls back to '" + r.fallback() + "', which is not among runtimes");
                    } else if (f.target() != DeviceProfile.Target.CPU) {
                        problem("runtime " + r.id() + " falls back to '" + r.fallback() + "', which does not run on the CPU");
                    }
                }
            }
            return out;
        }

        private List<DeviceProfile.Measurement> measurements(JsonNode n, List<DeviceProfile.Runtime> runtimes) {
            List<DeviceProfile.Measurement> out = new ArrayList<>();
            if (n == null || n.isNull()) {
                return out;
            }
            if (!n.isArray()) {
                problem("measurements must be a list of {runtime, model, precision, latencyMs, source}");
                return out;
            }
            for (int i = 0; i < n.size(); i++) {
                JsonNode m = n.get(i);
                String path = "measurements[" + i + "]";
                if (!m.isObject()) {
                    problem(path + " must be a mapping with runtime, model, precision, latencyMs and source");
                    continue;
                }
                int before = problems.size();
                unknownFields(m, path + ".", MEASUREMENT_FIELDS);
                String runtime = text(m, "runtime", path + ".runtime", true);
                String model = text(m, "model", path + ".model", true);
                String precision = text(m, "precision", path + ".precision", true);
                String source = text(m, "source", path + ".source", true);
                JsonNode l = m.get("latencyMs");
                Double ms = null;
                if (l == null || l.isNull()) {
                    problem(path + ".latencyMs is missing");
                } else if (!l.isNumber() || !(l.asDouble() > 0)) {
                    problem(path + ".latencyMs must be a number of milliseconds greater than zero, not '" + l.asText() + "'");
                } else {
                    ms = l.asDouble();
                }
                if (runtime != null && runtimes.stream().noneMatch(r -> r.id().equalsIgnoreCase(runtime))) {
                    problem(path + ".runtime '" + runtime + "' is not among the profile's runtimes");
                }
                if (model != null && !ReferenceWorkloads.ids().contains(model)) {
                    problem(path + ".model '" + model + "' is not a reference model (known: " + String.join(", ", ReferenceWorkloads.ids()) + ")");
                }
                if (precision != null && !PRECISIONS.contains(precision.toLowerCase(Locale.ROOT))) {
                    problem(path + ".precision '" + precision + "' is unknown (known: " + String.join(", ", PRECISIONS) + ")");
                }
                if (problems.size() == before) {
                    out.add(new DeviceProfile.Measurement(runtime.toLowerCase(Locale.ROOT), model, precision.toLowerCase(Locale.ROOT), ms, source));
                }
            }
            return out;
        }

        private Constraints constraints(JsonNode n, Long ram, Long externalRam, Long storage) {
            if (n == null || n.isNull()) {
                return Constraints.NONE;
            }
            if (!n.isObject()) {
                problem("defaultConstraints must be a mapping with maxModelBytes, maxRamBytes and/or maxLatencyMs");
                return Constraints.NONE;
            }
            unknownFields(n, "defaultConstraints.", CONSTRAINT_FIELDS);
            Long model = bytes(n, "maxModelBytes", "defaultConstraints.maxModelBytes", false);
            Long maxRam = bytes(n, "maxRamBytes", "defaultConstraints.maxRamBytes", false);
            Double latency = null;
            JsonNode l = n.get("maxLatencyMs");
            if (l != null && !l.isNull()) {
                try {
                    latency = l.isNumber() ? l.asDouble() : Constraints.parseMillis(l.asText());
                    if (!(latency > 0)) {
                        problem("defaultConstraints.maxLatencyMs must be greater than zero, not '" + l.asText() + "'");
                        latency = null;
                    }
                } catch (EdgeFitException e) {
                    problem("defaultConstraints.maxLatencyMs: " + stripPeriod(e.getMessage()));
                }
            }
            if (model != null && storage != null && model > storage) {
                problem("defaultConstraints.maxModelBytes (" + Constraints.formatBytes(model) + ") is larger than storageBytes ("
                        + Constraints.formatBytes(storage) + ")");
            }
            long allRam = (ram == null ? 0 : ram) + (externalRam == null ? 0 : externalRam);
            if (maxRam != null && ram != null && maxRam > allRam) {
                problem("defaultConstraints.maxRamBytes (" + Constraints.formatBytes(maxRam) + ") is larger than the device's RAM ("
                        + Constraints.formatBytes(allRam) + ")");
            }
            return new Constraints(model, maxRam, latency);
        }

        private Map<String, String> sources(JsonNode n) {
            if (n == null || n.isNull()) {
                problem("sources is missing: every figure needs a source (at least " + String.join(", ", REQUIRED_SOURCES) + ")");
                return null;
            }
            if (!n.isObject()) {
                problem("sources must map each figure (ramBytes, cpu.clockMhz, ...) to the datasheet or page it comes from");
                return null;
            }
            Map<String, String> out = new TreeMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String k = e.getKey();
                if (!SOURCE_KEYS.contains(k)) {
                    problem("sources." + k + " names no known field (known: " + String.join(", ", new java.util.TreeSet<>(SOURCE_KEYS)) + ")");
                    continue;
                }
                JsonNode v = e.getValue();
                if (!v.isValueNode() || v.isNull() || v.asText().isBlank()) {
                    problem("sources." + k + " is empty: name the datasheet or vendor page");
                    continue;
                }
                out.put(k, v.asText().trim());
            }
            return out;
        }

        // ---- small readers; each reports its own problem ----

        private String text(JsonNode parent, String key, boolean required) {
            return text(parent, key, key, required);
        }

        private String text(JsonNode parent, String key, String path, boolean required) {
            JsonNode v = parent.get(key);
            if (v == null || v.isNull()) {
                if (required) {
                    problem(path + " is missing");
                }
                return null;
            }
            if (!v.isValueNode() || v.asText().isBlank()) {
                problem(path + " must be non-empty text");
                return null;
            }
            return v.asText().trim();
        }

        private Long bytes(JsonNode parent, String key, boolean required) {
            return bytes(parent, key, key, required);
        }

        private Long bytes(JsonNode parent, String key, String path, boolean required) {
            JsonNode v = parent.get(key);
            if (v == null || v.isNull()) {
                if (required) {
                    problem(path + " is missing");
                }
                return null;
            }
            long b;
            if (v.isIntegralNumber() && v.canConvertToLong()) {
                b = v.asLong();
            } else if (v.isTextual()) {
                try {
                    b = Constraints.parseBytes(v.asText());
                } catch (EdgeFitException e) {
                    problem(path + ": " + stripPeriod(e.getMessage()));
                    return null;
                }
            } else {
                problem(path + " must be a whole number of bytes or a size such as 512KiB, not '" + v.asText() + "'");
                return null;
            }
            if (b <= 0) {
                problem(path + " must be greater than zero, not " + b);
                return null;
            }
            return b;
        }

        private Long whole(JsonNode parent, String key, String path, boolean required, String unit) {
            JsonNode v = parent.get(key);
            if (v == null || v.isNull()) {
                if (required) {
                    problem(path + " is missing");
                }
                return null;
            }
            if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() <= 0) {
                problem(path + " must be a whole number of " + unit + " greater than zero, not '" + v.asText() + "'");
                return null;
            }
            return v.asLong();
        }

        private Double positive(JsonNode parent, String key, String unit) {
            JsonNode v = parent.get(key);
            if (v == null || v.isNull()) {
                return null;
            }
            if (!v.isNumber() || !(v.asDouble() > 0) || Double.isInfinite(v.asDouble())) {
                problem(key + " must be a number of " + unit + " greater than zero, not '" + v.asText() + "'");
                return null;
            }
            return v.asDouble();
        }

        private List<String> strings(JsonNode parent, String key) {
            return strings(parent, key, key);
        }

        private List<String> strings(JsonNode parent, String key, String path) {
            List<String> out = new ArrayList<>();
            JsonNode v = parent.get(key);
            if (v == null || v.isNull()) {
                return out;
            }
            if (!v.isArray()) {
                problem(path + " must be a list, e.g. [a, b]");
                return out;
            }
            for (JsonNode e : v) {
                if (!e.isValueNode() || e.asText().isBlank()) {
                    problem(path + " must hold non-empty names only");
                    return out;
                }
                out.add(e.asText().trim().toLowerCase(Locale.ROOT));
            }
            return out;
        }

        private void unknownFields(JsonNode n, String prefix, Set<String> known) {
            for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (!known.contains(f)) {
                    problem(prefix + f + " is not a known field (known: " + String.join(", ", new java.util.TreeSet<>(known)) + ")");
                }
            }
        }

        private void problem(String text) {
            problems.add(new LoadProblem(file, file + ": " + text + "."));
        }

        private static String firstLine(String s) {
            if (s == null) {
                return "unreadable";
            }
            int nl = s.indexOf('\n');
            return (nl < 0 ? s : s.substring(0, nl)).trim();
        }

        private static String stripPeriod(String s) {
            return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
        }
    }
}
