package dev.edgefit.device;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * One target device, as read from {@code device-profiles/<id>.yaml} by {@link DeviceCatalog} or measured on
 * this machine by {@link HostInfo#thisMachine()}. Immutable.
 *
 * <p>Every figure has a source: {@link #sources()} maps a field path ({@code ramBytes}, {@code cpu.clockMhz},
 * ...) to where a reader can check it (datasheet or vendor page, named, with its address), and each
 * accelerator carries its own {@link Accelerator#source()}. An optional figure that no source publishes is
 * absent (null or empty), never estimated.
 *
 * @param id                 file name without {@code .yaml}; {@code this-machine} for the host
 * @param name               human name, e.g. "Raspberry Pi 4 Model B (4 GB)"
 * @param ramBytes           main memory (on-chip SRAM for microcontrollers; board RAM otherwise)
 * @param externalRamBytes   optional external RAM that is not main memory, e.g. an ESP32 module's PSRAM
 * @param storageBytes       storage for the model: flash for microcontrollers, internal storage or the
 *                           chosen SD card otherwise
 * @param memoryBandwidthGBs optional peak memory bandwidth in GB/s (10^9 bytes per second)
 * @param typicalPowerW      optional typical power draw in watts
 * @param peakPowerW         optional peak power draw in watts
 * @param runtimes           inference runtimes that run on it, e.g. {@code tflm}, {@code tflite-cpu},
 *                           {@code tflite-gpu}, {@code ort}, {@code tensorrt}, {@code coreml}, {@code x-cube-ai}
 * @param formats            model formats those runtimes read, e.g. {@code tflite}, {@code tflite-micro},
 *                           {@code onnx}, {@code ort}, {@code coreml}, {@code tensorrt}
 * @param defaultConstraints limits used when the user gives none (a starting point, explained in the file)
 * @param sources            field path to source text; see {@link DeviceCatalog} for the required keys
 * @param notes              optional free text: which variant was chosen and why
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"id", "name", "platform", "resourceClass"})
public record DeviceProfile(String id, String name, Platform platform, Cpu cpu, long ramBytes, Long externalRamBytes,
                            long storageBytes, List<Accelerator> accelerators, Double memoryBandwidthGBs,
                            Double typicalPowerW, Double peakPowerW, List<String> runtimes, List<String> formats,
                            Constraints defaultConstraints, Map<String, String> sources, String notes) {

    public DeviceProfile {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(platform, "platform");
        Objects.requireNonNull(cpu, "cpu");
        accelerators = accelerators == null ? List.of() : List.copyOf(accelerators);
        runtimes = runtimes == null ? List.of() : List.copyOf(runtimes);
        formats = formats == null ? List.of() : List.copyOf(formats);
        defaultConstraints = defaultConstraints == null ? Constraints.NONE : defaultConstraints;
        sources = sources == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(sources));
    }

    /** Derived from RAM and the fastest core's clock; see {@link ResourceClass} for the rule. */
    @JsonProperty("resourceClass")
    public ResourceClass resourceClass() {
        return ResourceClass.of(ramBytes, cpu.clockMhz());
    }

    /** The source recorded for a field path, or null. */
    public String source(String field) {
        return sources.get(field);
    }

    /** True if some runtime on the device reads this format (case-insensitive). */
    public boolean supportsFormat(String format) {
        return format != null && formats.contains(format.toLowerCase(Locale.ROOT));
    }

    /**
     * The CPU.
     *
     * @param arch     instruction set, e.g. {@code aarch64}, {@code x86_64}, {@code xtensa}
     * @param model    e.g. "Broadcom BCM2711 (Arm Cortex-A72)"
     * @param cores    number of cores (all clusters together)
     * @param clockMhz the fastest core's maximum clock in MHz; required in files, null only for a host
     *                 whose OS does not report it
     * @param simd     vector extensions, e.g. {@code neon}, {@code sve2}, {@code avx2}, {@code xtensa-pie}
     * @param clusters optional per-cluster breakdown for heterogeneous CPUs; cores add up to {@code cores}
     */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record Cpu(String arch, String model, int cores, Integer clockMhz, List<String> simd, List<CpuCluster> clusters) {
        public Cpu {
            simd = simd == null ? List.of() : List.copyOf(simd);
            clusters = clusters == null ? List.of() : List.copyOf(clusters);
        }
    }

    /** One cluster of identical cores, e.g. 4 x Cortex-A715 at 2370 MHz. */
    public record CpuCluster(String core, int count, int clockMhz) {
    }

    /** Kind of accelerator. */
    public enum AcceleratorKind {
        GPU, NPU, TPU;

        @com.fasterxml.jackson.annotation.JsonValue
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * A GPU, NPU or TPU next to the CPU.
     *
     * @param peakGops peak throughput by precision ({@code int8}, {@code fp16}, {@code fp32}, ...) in giga
     *                 operations per second, only where the vendor publishes it (a TFLOPS figure is stored
     *                 times 1000); empty when unpublished
     * @param source   where the accelerator and its figures are documented
     */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record Accelerator(AcceleratorKind kind, String name, Map<String, Double> peakGops, String source) {
        public Accelerator {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(name, "name");
            peakGops = peakGops == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(peakGops));
        }
    }
}
