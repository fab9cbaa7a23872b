package dev.edgefit.device;

import dev.edgefit.device.DeviceProfile.Cpu;
import oshi.SystemInfo;
import oshi.hardware.CentralProcessor;
import oshi.hardware.HardwareAbstractionLayer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The machine EdgeFit runs on, read through OSHI (and the JDK for the OS architecture and disk size).
 * {@link #detect()} is cached: OSHI's first call takes a while.
 *
 * @param cpuModel      processor name as the OS reports it
 * @param physicalCores physical cores
 * @param logicalCores  logical processors (hardware threads)
 * @param totalRamBytes installed RAM visible to the OS
 * @param os            operating system, e.g. "GNU/Linux Debian GNU/Linux 12 (bookworm) build 6.1.0"
 * @param arch          instruction set, normalized: {@code x86_64}, {@code aarch64}, {@code arm}, or the JVM's
 *                      {@code os.arch}
 * @param maxClockMhz   the maximum clock the OS reports, else the nominal clock in the processor name; null
 *                      when neither is available (common in virtual machines)
 * @param clockSource   how {@code maxClockMhz} was read, or null
 * @param simd          vector extensions found in the CPU's feature flags (e.g. avx2, avx512f, neon)
 * @param storageBytes  total size of the file system that holds the working directory, or null
 * @param boardModel    board name from the device tree (e.g. "Raspberry Pi 4 Model B Rev 1.4"), or null
 */
public record HostInfo(String cpuModel, int physicalCores, int logicalCores, long totalRamBytes, String os, String arch,
                       Integer maxClockMhz, String clockSource, List<String> simd, Long storageBytes, String boardModel) {

    /** Id of the profile {@link #thisMachine()} builds. */
    public static final String THIS_MACHINE = "this-machine";

    static final String OSHI_SOURCE = "measured by OSHI on this machine";

    private static final Map<String, String> SIMD_FLAGS = simdFlags();
    private static volatile HostInfo cached;

    public HostInfo {
        simd = simd == null ? List.of() : List.copyOf(simd);
    }

    /** This machine, read once and cached. */
    public static HostInfo detect() {
        HostInfo h = cached;
        if (h == null) {
            synchronized (HostInfo.class) {
                h = cached;
                if (h == null) {
                    h = read();
                    cached = h;
                }
            }
        }
        return h;
    }

    private static HostInfo read() {
        SystemInfo si = new SystemInfo();
        HardwareAbstractionLayer hal = si.getHardware();
        CentralProcessor cpu = hal.getProcessor();
        CentralProcessor.ProcessorIdentifier id = cpu.getProcessorIdentifier();

        Integer clock = null;
        String clockSource = null;
        long max = cpu.getMaxFreq();
        long vendor = id.getVendorFreq();
        if (max > 0) {
            clock = (int) Math.round(max / 1e6);
            boolean linux = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux");
            boolean cpufreq = Files.isReadable(Path.of("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq"));
            clockSource = linux && !cpufreq
                    ? "highest 'cpu MHz' in /proc/cpuinfo (the kernel reports no cpufreq maximum), " + OSHI_SOURCE
                    : "maximum CPU frequency reported by the OS, " + OSHI_SOURCE;
        } else if (vendor > 0) {
            clock = (int) Math.round(vendor / 1e6);
            clockSource = "nominal clock in the processor name, " + OSHI_SOURCE;
        }

        Set<String> simd = new LinkedHashSet<>();
        for (String line : cpu.getFeatureFlags()) {
            for (String token : line.toLowerCase(Locale.ROOT).split("[\\s:,]+")) {
                String name = SIMD_FLAGS.get(token);
                if (name != null) {
                    simd.add(name);
                }
            }
        }

        Long storage = null;
        try {
            storage = Files.getFileStore(Path.of("").toAbsolutePath()).getTotalSpace();
        } catch (IOException | SecurityException e) {
            // not measured: left null
        }
        String name = id.getName() == null || id.getName().isBlank() ? "unknown processor" : id.getName().trim();
        return new HostInfo(name, cpu.getPhysicalProcessorCount(), cpu.getLogicalProcessorCount(),
                hal.getMemory().getTotal(), si.getOperatingSystem().toString(), normalizeArch(System.getProperty("os.arch")),
                clock, clockSource, new ArrayList<>(simd), storage, readBoardModel());
    }

    /**
     * A profile of this machine with id {@value #THIS_MACHINE}: every figure measured here. Its platform is
     * the closest of the eight (see {@link #platformFor}); it runs ONNX Runtime, which is what EdgeFit
     * measures with. Its storageBytes is 0 (with no source) in the rare case that the file system size
     * could not be read, and its clock is null (with no source) when the OS reports none.
     */
    public DeviceProfile thisMachine() {
        Map<String, String> sources = new LinkedHashMap<>();
        sources.put("cpu.model", OSHI_SOURCE);
        sources.put("cpu.arch", "os.arch of the Java runtime on this machine");
        sources.put("cpu.cores", OSHI_SOURCE + " (physical cores; " + logicalCores + " logical processors)");
        if (clockSource != null) {
            sources.put("cpu.clockMhz", clockSource);
        }
        if (!simd.isEmpty()) {
            sources.put("cpu.simd", "CPU feature flags, " + OSHI_SOURCE);
        }
        sources.put("ramBytes", OSHI_SOURCE);
        long storage = storageBytes == null ? 0 : storageBytes;
        if (storageBytes != null) {
            sources.put("storageBytes", "total size of the file system holding the working directory, measured on this machine");
        }
        Cpu cpu = new Cpu(arch, cpuModel, physicalCores, maxClockMhz, simd, List.of());
        String notes = "Measured on this machine (" + os + (boardModel != null ? ", " + boardModel : "") + ")."
                + (maxClockMhz == null ? " The OS reports no CPU clock, so the resource class is decided by RAM alone." : "");
        return new DeviceProfile(THIS_MACHINE, "This machine (" + cpuModel + ")", platformFor(arch, os, boardModel), cpu,
                totalRamBytes, null, storage, List.of(), null, null, null, List.of(new DeviceProfile.Runtime("ort", DeviceProfile.Target.CPU,
                        Math.max(1, physicalCores), List.of("int8", "fp32"), List.of(), null, false, null, null,
                        "ONNX Runtime, the runtime EdgeFit measures with on this machine", true)), List.of("onnx", "ort"),
                Constraints.NONE, sources, notes, List.of());
    }

    /**
     * The closest of the eight platforms for a host: an x86 machine is {@link Platform#INTEL_NUC} (a small x86
     * PC); an Arm board whose device tree names a Raspberry Pi or a Jetson is that; Android is ANDROID; an Arm
     * Mac is IOS (same Apple CPU family); any other machine is {@link Platform#ARM_CORTEX}.
     */
    public static Platform platformFor(String arch, String os, String boardModel) {
        String a = arch == null ? "" : arch.toLowerCase(Locale.ROOT);
        String o = os == null ? "" : os.toLowerCase(Locale.ROOT);
        String b = boardModel == null ? "" : boardModel.toLowerCase(Locale.ROOT);
        if (a.equals("x86_64") || a.equals("x86") || a.equals("amd64") || a.matches("i[3-6]86")) {
            return Platform.INTEL_NUC;
        }
        if (b.contains("raspberry pi")) {
            return Platform.RASPBERRY_PI;
        }
        if (b.contains("jetson") || b.contains("nvidia")) {
            return Platform.NVIDIA_JETSON;
        }
        if (o.contains("android")) {
            return Platform.ANDROID;
        }
        if (o.contains("mac") || o.contains("darwin") || o.contains("ios")) {
            return Platform.IOS;
        }
        return Platform.ARM_CORTEX;
    }

    static String normalizeArch(String osArch) {
        if (osArch == null) {
            return "unknown";
        }
        String a = osArch.toLowerCase(Locale.ROOT);
        return switch (a) {
            case "amd64", "x86_64", "x64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            case "x86", "i386", "i486", "i586", "i686" -> "x86";
            default -> a.startsWith("arm") ? "arm" : a;
        };
    }

    private static String readBoardModel() {
        Path p = Path.of("/proc/device-tree/model");
        try {
            if (Files.isReadable(p)) {
                String s = new String(Files.readAllBytes(p), StandardCharsets.UTF_8).replace("\u0000", "").trim();
                return s.isEmpty() ? null : s;
            }
        } catch (IOException | SecurityException e) {
            // no device tree: not a board that names itself
        }
        return null;
    }

    private static Map<String, String> simdFlags() {
        Map<String, String> m = new LinkedHashMap<>();
        for (String f : List.of("sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512_vnni",
                "avx512_bf16", "avx512_fp16", "avx_vnni", "amx_tile", "amx_int8", "amx_bf16")) {
            m.put(f, f);
        }
        m.put("asimd", "neon");
        m.put("neon", "neon");
        m.put("asimddp", "dotprod");
        m.put("asimdhp", "fp16");
        m.put("sve", "sve");
        m.put("sve2", "sve2");
        m.put("i8mm", "i8mm");
        m.put("bf16", "bf16");
        return m;
    }
}
