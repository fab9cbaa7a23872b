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
 * @param runtimes           inference runtimes that run on it ({@code tflm}, {@code tflite-cpu}, {@code ort},
 *                           {@code tensorrt}, {@code x-cube-ai}, ...), each with what it runs on and which
 *                           precisions; the estimator fits each one's efficiency to {@code measurements}
 * @param formats            model formats those runtimes read, e.g. {@code tflite}, {@code tflite-micro},
 *                           {@code onnx}, {@code ort}, {@code coreml}, {@code tensorrt}
 * @param defaultConstraints limits used when the user gives none (a starting point, explained in the file)
 * @param sources            field path to source text; see {@link DeviceCatalog} for the required keys
 * @param notes              optional free text: which variant was chosen and why
 * @param measurements       published latencies of reference models on this device, each with its source;
 *                           the estimator's calibration data
 * @param connectivity       links the device has, e.g. {@code wifi}, {@code bluetooth}, {@code ethernet}, {@code usb},
 *                           {@code cellular}; empty when not given
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"id", "name", "platform", "resourceClass"})
public record DeviceProfile(String id, String name, Platform platform, Cpu cpu, long ramBytes, Long externalRamBytes,
                            long storageBytes, List<Accelerator> accelerators, Double memoryBandwidthGBs,
                            Double typicalPowerW, Double peakPowerW, List<Runtime> runtimes, List<String> formats,
                            Constraints defaultConstraints, Map<String, String> sources, String notes,
                            List<Measurement> measurements, List<String> connectivity) {

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
        measurements = measurements == null ? List.of() : List.copyOf(measurements);
        connectivity = connectivity == null ? List.of() : List.copyOf(connectivity);
    }

    /** A profile without connectivity figures. */
    public DeviceProfile(String id, String name, Platform platform, Cpu cpu, long ramBytes, Long externalRamBytes, long storageBytes,
                         List<Accelerator> accelerators, Double memoryBandwidthGBs, Double typicalPowerW, Double peakPowerW,
                         List<Runtime> runtimes, List<String> formats, Constraints defaultConstraints, Map<String, String> sources,
                         String notes, List<Measurement> measurements) {
        this(id, name, platform, cpu, ramBytes, externalRamBytes, storageBytes, accelerators, memoryBandwidthGBs, typicalPowerW,
                peakPowerW, runtimes, formats, defaultConstraints, sources, notes, measurements, List.of());
    }

    /** The ids of {@link #runtimes()}, in file order. */
    public List<String> runtimeIds() {
        return runtimes.stream().map(Runtime::id).toList();
    }

    /** The runtime with this id, if the device has it. */
    public java.util.Optional<Runtime> runtime(String id) {
        return runtimes.stream().filter(r -> r.id().equalsIgnoreCase(id)).findFirst();
    }

    /** The first accelerator of a kind, if any. */
    public java.util.Optional<Accelerator> accelerator(AcceleratorKind kind) {
        return accelerators.stream().filter(a -> a.kind() == kind).findFirst();
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
     * @param macsPerCycle optional peak multiply-accumulates per cycle of one (fastest) core by precision
     *                 ({@code int8}, {@code fp16}, {@code fp32}), from the core's documented vector units;
     *                 the estimator's CPU peak is threads x clock x this
     */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record Cpu(String arch, String model, int cores, Integer clockMhz, List<String> simd, List<CpuCluster> clusters,
                      Map<String, Double> macsPerCycle) {
        public Cpu {
            simd = simd == null ? List.of() : List.copyOf(simd);
            clusters = clusters == null ? List.of() : List.copyOf(clusters);
            macsPerCycle = macsPerCycle == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(macsPerCycle));
        }

        public Cpu(String arch, String model, int cores, Integer clockMhz, List<String> simd, List<CpuCluster> clusters) {
            this(arch, model, cores, clockMhz, simd, clusters, Map.of());
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

    /** Where a runtime executes its kernels. */
    public enum Target {
        CPU, GPU, NPU, TPU;

        @com.fasterxml.jackson.annotation.JsonValue
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The accelerator kind this target runs on, or null for the CPU. */
        public AcceleratorKind acceleratorKind() {
            return this == CPU ? null : AcceleratorKind.valueOf(name());
        }
    }

    /**
     * One inference runtime on the device.
     *
     * @param id               e.g. {@code tflm}, {@code x-cube-ai}, {@code tflite-cpu}, {@code ort}, {@code tensorrt}
     * @param target           where its kernels run: the CPU or the device's GPU/NPU/TPU
     * @param threads          CPU cores it uses (for a CPU target); 1 when not given
     * @param precisions       precisions it executes ({@code int8}, {@code fp16}, {@code fp32}); a layer in
     *                         another precision runs on {@code fallback} (or, for a CPU runtime, in fp32)
     * @param ops              for an accelerator: the ONNX operator types it takes; empty means all; the
     *                         others run on {@code fallback}
     * @param fallback         id of the CPU runtime that takes what this one does not, or null
     * @param weightsInFlash   true when weights stay in flash (microcontrollers): they do not count in RAM
     * @param ramOverheadBytes the runtime's own memory beside weights and activations, or null when unknown
     * @param opOverheadUs     fixed cost per executed operator in microseconds, or null when unknown (0)
     * @param source           where the runtime, its target and its precisions are documented
     * @param vectorized       false for kernels written without the CPU's vector instructions (TFLM's reference
     *                         kernels): their peak is one MAC per cycle per thread, not {@code cpu.macsPerCycle}
     */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record Runtime(String id, Target target, int threads, List<String> precisions, List<String> ops, String fallback,
                          boolean weightsInFlash, Long ramOverheadBytes, Double opOverheadUs, String source,
                          boolean vectorized, boolean opOverheadFitted, List<String> formats) {
        public Runtime {
            Objects.requireNonNull(id, "id");
            target = target == null ? Target.CPU : target;
            threads = Math.max(1, threads);
            precisions = precisions == null ? List.of() : List.copyOf(precisions);
            ops = ops == null ? List.of() : List.copyOf(ops);
            opOverheadFitted = opOverheadFitted && opOverheadUs != null;
            formats = formats == null ? List.of() : List.copyOf(formats);
        }

        /** A runtime whose per-operator cost, if any, is an independent figure (not fitted to the measurements). */
        public Runtime(String id, Target target, int threads, List<String> precisions, List<String> ops, String fallback,
                       boolean weightsInFlash, Long ramOverheadBytes, Double opOverheadUs, String source, boolean vectorized) {
            this(id, target, threads, precisions, ops, fallback, weightsInFlash, ramOverheadBytes, opOverheadUs, source, vectorized, false, List.of());
        }

        /** True when it reads one of these artifact formats, or when its profile does not say which it reads. */
        public boolean readsAnyOf(java.util.Collection<String> written) {
            return formats.isEmpty() || formats.stream().anyMatch(written::contains);
        }

        /**
         * This runtime without a per-operator cost that was fitted to the profile's own measurements: what the
         * calibration's leave-one-out check uses, so that a row is never predicted with a figure derived from it.
         */
        public Runtime withoutFittedOverhead() {
            return opOverheadFitted ? new Runtime(id, target, threads, precisions, ops, fallback, weightsInFlash, ramOverheadBytes, null,
                    source, vectorized, false, formats) : this;
        }

        /** True if it executes this precision ({@code int8}, {@code fp16}, {@code fp32}). */
        public boolean runs(String precision) {
            return precisions.isEmpty() ? "fp32".equals(precision) : precisions.contains(precision);
        }

        /** True if it takes this ONNX operator type. */
        public boolean takes(String opType) {
            return ops.isEmpty() || ops.contains(opType);
        }
    }

    /**
     * A published latency of a reference model on this device.
     *
     * @param runtime   runtime id (one of the device's runtimes)
     * @param model     reference model id, e.g. {@code mlperf-tiny-ic} (see device.ReferenceWorkloads)
     * @param precision {@code int8}, {@code fp16} or {@code fp32}
     * @param latencyMs the published figure for one inference
     * @param source    where it was published
     */
    public record Measurement(String runtime, String model, String precision, double latencyMs, String source) {
        public Measurement {
            Objects.requireNonNull(runtime, "runtime");
            Objects.requireNonNull(model, "model");
            Objects.requireNonNull(precision, "precision");
            Objects.requireNonNull(source, "source");
        }
    }
}
