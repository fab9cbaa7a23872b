package dev.edgefit.device;

import dev.edgefit.common.AppPaths;
import dev.edgefit.common.EdgeFitException;
import dev.edgefit.common.Json;
import dev.edgefit.device.DeviceCatalog.LoadProblem;
import dev.edgefit.device.DeviceProfile.AcceleratorKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DeviceCatalogTest {
    private static final String GOOD = """
            name: Good Board
            platform: raspberry_pi
            cpu: {arch: aarch64, model: Test SoC, cores: 4, clockMhz: 1500}
            ramBytes: 1GiB
            storageBytes: 16GB
            sources:
              ramBytes: board datasheet
              storageBytes: board datasheet
              cpu.cores: board datasheet
              cpu.clockMhz: board datasheet
            """;

    @Test
    void bundledProfilesAllLoadWithoutProblems() {
        DeviceCatalog c = DeviceCatalog.bundled();
        assertEquals(List.of(), c.problems());
        List<String> ids = c.profiles().stream().map(DeviceProfile::id).toList();
        // The boards of the published latencies that calibrate the estimator, by these exact ids.
        assertTrue(ids.containsAll(List.of("nucleo-l4r5zi", "nucleo-h7a3zi-q", "nucleo-u575zi-q", "esp32-s3", "raspberry-pi-4",
                "jetson-nano", "pixel-4", "pixel-8")), ids.toString());
        assertEquals(AppPaths.resolve("device-profiles").toAbsolutePath().normalize(), c.directory().toAbsolutePath().normalize());
    }

    @Test
    void raspberryPi4Figures() {
        DeviceProfile p = DeviceCatalog.bundled().find("raspberry-pi-4").orElseThrow();
        assertEquals(Platform.RASPBERRY_PI, p.platform());
        assertEquals(4, p.cpu().cores());
        assertEquals(1500, p.cpu().clockMhz());
        assertEquals("aarch64", p.cpu().arch());
        assertEquals(List.of("neon"), p.cpu().simd());
        assertEquals(4L << 30, p.ramBytes());
        assertEquals(32_000_000_000L, p.storageBytes());
        assertEquals(3.0, p.typicalPowerW());
        assertNull(p.peakPowerW(), "Raspberry Pi publishes no peak power figure");
        assertEquals(12.8, p.memoryBandwidthGBs(), 1e-9, "LPDDR4-3200 on a 32-bit bus");
        assertTrue(p.source("memoryBandwidthGBs").contains("LPDDR4-3200"));
        assertEquals(List.of("tflite-cpu", "ort", "pytorch-qnnpack"), p.runtimeIds());
        assertEquals(4, p.runtime("tflite-cpu").orElseThrow().threads());
        assertEquals(8.0, p.cpu().macsPerCycle().get("fp32"));
        assertEquals(1, p.measurements().size());
        assertEquals(26.4, p.measurements().get(0).latencyMs());
        assertEquals(List.of("wifi", "bluetooth", "ethernet", "usb"), p.connectivity());
        assertTrue(p.source("connectivity").contains("Gigabit Ethernet"));
        assertEquals(1, p.accelerators().size());
        assertEquals(AcceleratorKind.GPU, p.accelerators().get(0).kind());
        assertTrue(p.accelerators().get(0).peakGops().isEmpty(), "no GPU throughput is published");
        assertEquals(1L << 30, p.defaultConstraints().maxModelBytes());
        assertEquals(2L << 30, p.defaultConstraints().maxRamBytes());
        assertNull(p.defaultConstraints().maxLatencyMs());
        assertTrue(p.supportsFormat("ONNX"));
        assertFalse(p.supportsFormat("coreml"));
        // 4 GiB is not under medium's 4 GiB RAM limit, so the RAM axis makes it high.
        assertEquals(ResourceClass.HIGH, p.resourceClass());
        assertTrue(p.source("cpu.clockMhz").contains("1.5GHz"));
    }

    @Test
    void pixel8Figures() {
        DeviceProfile p = DeviceCatalog.bundled().find("pixel-8").orElseThrow();
        assertEquals(Platform.ANDROID, p.platform());
        assertEquals(9, p.cpu().cores());
        assertEquals(2910, p.cpu().clockMhz());
        assertEquals(3, p.cpu().clusters().size());
        assertEquals(9, p.cpu().clusters().stream().mapToInt(DeviceProfile.CpuCluster::count).sum());
        assertEquals(8L << 30, p.ramBytes());
        assertEquals(128_000_000_000L, p.storageBytes());
        assertTrue(p.accelerators().stream().anyMatch(a -> a.kind() == AcceleratorKind.TPU && a.peakGops().isEmpty()),
                "the Tensor G3 TPU is listed without an unpublished throughput");
        assertNull(p.typicalPowerW());
        assertEquals(ResourceClass.HIGH, p.resourceClass());
    }

    @Test
    void esp32S3Figures() {
        DeviceProfile p = DeviceCatalog.bundled().find("esp32-s3").orElseThrow();
        assertEquals(Platform.ESP32, p.platform());
        assertEquals(2, p.cpu().cores());
        assertEquals(240, p.cpu().clockMhz());
        assertEquals("xtensa", p.cpu().arch());
        assertEquals(512L * 1024, p.ramBytes());
        assertEquals(8L << 20, p.externalRamBytes());
        assertEquals(8L << 20, p.storageBytes());
        assertTrue(p.accelerators().isEmpty());
        assertEquals(List.of("tflite-micro"), p.formats());
        assertEquals(4L << 20, p.defaultConstraints().maxModelBytes());
        assertEquals(ResourceClass.ULTRA_LOW, p.resourceClass());
    }

    @Test
    void everyBundledFigureHasASource() {
        for (DeviceProfile p : DeviceCatalog.bundled().profiles()) {
            for (String k : DeviceCatalog.REQUIRED_SOURCES) {
                assertTrue(p.source(k) != null && !p.source(k).isBlank(), p.id() + " has no source for " + k);
            }
            p.accelerators().forEach(a -> assertFalse(a.source().isBlank(), p.id() + " " + a.name()));
            if (p.externalRamBytes() != null) {
                assertTrue(p.sources().containsKey("externalRamBytes"), p.id());
            }
        }
    }

    @Test
    void brokenAndIncompleteFilesAreReportedAndTheGoodOneStillLoads(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("good.yaml"), GOOD);
        Files.writeString(dir.resolve("broken.yaml"), "name: Broken\nplatform: [esp32\ncpu: {cores: 2\n");
        Files.writeString(dir.resolve("incomplete.yaml"), GOOD.replace("ramBytes: 1GiB\n", "").replace("  ramBytes: board datasheet\n", ""));
        Files.writeString(dir.resolve("readme.txt"), "not a profile");

        DeviceCatalog c = DeviceCatalog.load(dir);

        assertEquals(List.of("good"), c.profiles().stream().map(DeviceProfile::id).toList());
        assertEquals(1L << 30, c.find("good").orElseThrow().ramBytes());
        assertTrue(c.find("incomplete").isEmpty());

        LoadProblem broken = only(c, "broken.yaml");
        assertTrue(broken.message().startsWith(dir.resolve("broken.yaml") + ": is not valid YAML at line "), broken.message());

        LoadProblem incomplete = only(c, "incomplete.yaml");
        assertEquals(dir.resolve("incomplete.yaml") + ": ramBytes is missing.", incomplete.message());
        assertEquals(2, c.problems().size());
    }

    @Test
    void runtimesAndMeasurementsAreValidated(@TempDir Path dir) throws IOException {
        String rt = """
                runtimes:
                  - id: tflm
                    target: cpu
                    precisions: [int8]
                    source: vendor page
                """;
        Files.writeString(dir.resolve("ok.yaml"), GOOD + rt
                + "measurements:\n  - {runtime: tflm, model: mlperf-tiny-kws, precision: int8, latencyMs: 40, source: results}\n");
        Files.writeString(dir.resolve("npu.yaml"), GOOD + rt.replace("target: cpu", "target: npu"));
        Files.writeString(dir.resolve("prec.yaml"), GOOD + rt.replace("[int8]", "[int3]"));
        Files.writeString(dir.resolve("fallback.yaml"), GOOD + rt + "    fallback: tflite-cpu\n");
        Files.writeString(dir.resolve("threads.yaml"), GOOD + rt + "    threads: 64\n");
        Files.writeString(dir.resolve("model.yaml"), GOOD + rt
                + "measurements:\n  - {runtime: tflm, model: yolo-v9, precision: int8, latencyMs: 40, source: results}\n");
        Files.writeString(dir.resolve("mrt.yaml"), GOOD + rt
                + "measurements:\n  - {runtime: tensorrt, model: resnet18, precision: fp16, latencyMs: 11, source: results}\n");
        Files.writeString(dir.resolve("msrc.yaml"), GOOD + rt
                + "measurements:\n  - {runtime: tflm, model: resnet18, precision: int8, latencyMs: 11}\n");
        Files.writeString(dir.resolve("macs.yaml"), GOOD.replace("clockMhz: 1500}", "clockMhz: 1500, macsPerCycle: {int8: 16}}"));
        Files.writeString(dir.resolve("fitted.yaml"), GOOD + rt + "    opOverheadFitted: true\n");
        Files.writeString(dir.resolve("fmt.yaml"), GOOD + rt + "    formats: [tflite, safetensors]\n");

        DeviceCatalog c = DeviceCatalog.load(dir);
        assertEquals(List.of("ok"), c.profiles().stream().map(DeviceProfile::id).toList());
        DeviceProfile ok = c.find("ok").orElseThrow();
        assertEquals(DeviceProfile.Target.CPU, ok.runtime("tflm").orElseThrow().target());
        assertEquals(40.0, ok.measurements().get(0).latencyMs());
        assertEquals(dir.resolve("npu.yaml") + ": runtimes[0].target is npu but the profile lists no npu under accelerators.", only(c, "npu.yaml").message());
        assertTrue(only(c, "prec.yaml").message().contains("runtimes[0].precisions names 'int3'"), only(c, "prec.yaml").message());
        assertEquals(dir.resolve("fallback.yaml") + ": runtime tflm falls back to 'tflite-cpu', which is not among runtimes.",
                only(c, "fallback.yaml").message());
        assertEquals(dir.resolve("threads.yaml") + ": runtimes[0].threads (64) is more than cpu.cores (4).", only(c, "threads.yaml").message());
        assertTrue(only(c, "model.yaml").message().contains("measurements[0].model 'yolo-v9' is not a reference model (known: mlperf-tiny-ic"),
                only(c, "model.yaml").message());
        assertEquals(dir.resolve("mrt.yaml") + ": measurements[0].runtime 'tensorrt' is not among the profile's runtimes.", only(c, "mrt.yaml").message());
        assertEquals(dir.resolve("msrc.yaml") + ": measurements[0].source is missing.", only(c, "msrc.yaml").message());
        assertTrue(only(c, "macs.yaml").message().contains("cpu.macsPerCycle has no source"), only(c, "macs.yaml").message());
        assertEquals(dir.resolve("fitted.yaml") + ": runtimes[0].opOverheadFitted needs opOverheadUs.", only(c, "fitted.yaml").message());
        assertTrue(only(c, "fmt.yaml").message().contains("runtimes[0].formats names 'safetensors', not a known format"), only(c, "fmt.yaml").message());
        for (DeviceProfile p : DeviceCatalog.bundled().profiles()) {
            p.runtimes().forEach(r -> assertFalse(r.formats().isEmpty(), p.id() + "/" + r.id() + " says which artifact formats it reads"));
        }
    }

    @Test
    void aFittedPerOperatorCostIsLeftOutOfTheIndependentCheck() {
        DeviceProfile.Runtime tpu = DeviceCatalog.bundled().require("coral-dev-board").runtime("edgetpu").orElseThrow();
        assertTrue(tpu.opOverheadFitted());
        assertEquals(19.0, tpu.opOverheadUs());
        assertNull(tpu.withoutFittedOverhead().opOverheadUs());
        DeviceProfile.Runtime trt = DeviceCatalog.bundled().require("jetson-nano").runtime("tensorrt").orElseThrow();
        assertSame(trt, trt.withoutFittedOverhead(), "a published per-operator cost stays");
    }

    @Test
    void unknownPlatformMissingSourceAndBadNumbersNameTheField(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("a.yaml"), GOOD.replace("platform: raspberry_pi", "platform: windows_phone"));
        Files.writeString(dir.resolve("b.yaml"), GOOD.replace("  cpu.clockMhz: board datasheet\n", ""));
        Files.writeString(dir.resolve("c.yaml"), GOOD.replace("clockMhz: 1500", "clockMhz: fast"));
        Files.writeString(dir.resolve("d.yaml"), GOOD.replace("storageBytes: 16GB", "storageBytes: 16 GigaBytes"));
        Files.writeString(dir.resolve("e.yaml"), GOOD + "memoryBandwidthGBs: 12.8\n");
        Files.writeString(dir.resolve("f.yaml"), GOOD + "ramByte: 2GiB\n");

        DeviceCatalog c = DeviceCatalog.load(dir);
        assertTrue(c.profiles().isEmpty());
        assertTrue(only(c, "a.yaml").message().contains("platform 'windows_phone' is unknown (known: android, ios, raspberry_pi"));
        assertTrue(only(c, "b.yaml").message().contains("cpu.clockMhz has no source"));
        assertTrue(only(c, "c.yaml").message().contains("cpu.clockMhz must be a whole number of MHz greater than zero, not 'fast'"));
        assertTrue(only(c, "d.yaml").message().contains("storageBytes: '16 GigaBytes' is not a size"));
        assertTrue(only(c, "e.yaml").message().contains("memoryBandwidthGBs has no source"));
        assertTrue(only(c, "f.yaml").message().contains("ramByte is not a known field"));
    }

    @Test
    void clustersMustAgreeWithCoresAndClock(@TempDir Path dir) throws IOException {
        String withClusters = GOOD.replace("cpu: {arch: aarch64, model: Test SoC, cores: 4, clockMhz: 1500}", """
                cpu:
                  arch: aarch64
                  model: Test SoC
                  cores: 4
                  clockMhz: 1500
                  clusters:
                    - {core: Big, count: 1, clockMhz: 1800}
                    - {core: Little, count: 2, clockMhz: 1000}""") + "  cpu.clusters: board datasheet\n";
        Files.writeString(dir.resolve("x.yaml"), withClusters);
        DeviceCatalog c = DeviceCatalog.load(dir);
        List<String> messages = c.problems().stream().map(LoadProblem::message).toList();
        assertTrue(messages.contains(dir.resolve("x.yaml") + ": cpu.clusters add up to 3 cores but cpu.cores is 4."), messages.toString());
        assertTrue(messages.contains(dir.resolve("x.yaml") + ": cpu.clockMhz is 1500 but the fastest of cpu.clusters runs at 1800 MHz."), messages.toString());
    }

    @Test
    void defaultConstraintsMustFitTheDevice(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("x.yaml"), GOOD + "defaultConstraints: {maxModelBytes: 32GB, maxRamBytes: 512MiB, maxLatencyMs: 20ms}\n");
        Files.writeString(dir.resolve("y.yaml"), GOOD + "defaultConstraints: {maxModelBytes: 1GB, maxRamBytes: 512MiB, maxLatencyMs: 20ms}\n");
        DeviceCatalog c = DeviceCatalog.load(dir);
        assertTrue(only(c, "x.yaml").message().contains("defaultConstraints.maxModelBytes (29.80 GiB) is larger than storageBytes (14.90 GiB)"));
        Constraints y = c.find("y").orElseThrow().defaultConstraints();
        assertEquals(new Constraints(1_000_000_000L, 512L << 20, 20.0), y);
    }

    @Test
    void duplicateKeysAndEmptyFilesAreProblems(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("dup.yaml"), GOOD + "ramBytes: 2GiB\n");
        Files.writeString(dir.resolve("empty.yaml"), "");
        DeviceCatalog c = DeviceCatalog.load(dir);
        assertTrue(only(c, "dup.yaml").message().contains("is not valid YAML"), only(c, "dup.yaml").message());
        assertTrue(only(c, "dup.yaml").message().contains("ramBytes"), only(c, "dup.yaml").message());
        assertTrue(only(c, "empty.yaml").message().contains("is empty"));
    }

    @Test
    void missingFolderIsOneProblem(@TempDir Path dir) {
        DeviceCatalog c = DeviceCatalog.load(dir.resolve("nope"));
        assertTrue(c.profiles().isEmpty());
        assertEquals(1, c.problems().size());
        assertTrue(c.problems().get(0).message().contains("does not exist"));
    }

    @Test
    void loadFileThrowsTheFirstProblem(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("incomplete.yaml");
        Files.writeString(f, GOOD.replace("name: Good Board\n", ""));
        EdgeFitException e = assertThrows(EdgeFitException.class, () -> DeviceCatalog.loadFile(f));
        assertEquals(f + ": name is missing.", e.getMessage());
        assertEquals(EdgeFitException.Kind.BAD_PARAMETER, e.kind());
    }

    @Test
    void writtenProfilesReadBackEqual(@TempDir Path dir) {
        for (DeviceProfile p : DeviceCatalog.bundled().profiles()) {
            Path f = DeviceCatalog.write(p, dir);
            assertEquals(p.id() + ".yaml", f.getFileName().toString());
            assertEquals(p, DeviceCatalog.loadFile(f));
        }
        assertEquals(DeviceCatalog.bundled().profiles().size(), DeviceCatalog.load(dir).profiles().size());
    }

    @Test
    void jsonUsesLowerCaseNamesAndIncludesTheDerivedClass() {
        String json = Json.write(DeviceCatalog.bundled().find("esp32-s3").orElseThrow());
        assertTrue(json.contains("\"platform\" : \"esp32\""), json);
        assertTrue(json.contains("\"resourceClass\" : \"ultra_low\""), json);
        assertFalse(json.contains("peakPowerW"), "absent figures are left out: " + json);
        assertTrue(json.contains("\"maxModelBytes\" : 4194304"), json);
        assertFalse(json.contains("\"empty\""), json);
    }

    @Test
    void plusAddsOrReplacesById() {
        DeviceCatalog c = DeviceCatalog.bundled();
        DeviceProfile host = HostInfo.detect().thisMachine();
        DeviceCatalog d = c.plus(host).plus(host);
        assertEquals(c.profiles().size() + 1, d.profiles().size());
        assertEquals(host, d.find(HostInfo.THIS_MACHINE).orElseThrow());
    }

    private static LoadProblem only(DeviceCatalog c, String fileName) {
        List<LoadProblem> l = c.problems().stream().filter(p -> p.file().getFileName().toString().equals(fileName)).toList();
        assertEquals(1, l.size(), "problems for " + fileName + ": " + l);
        assertTrue(l.get(0).message().contains(fileName), l.get(0).message());
        return l.get(0);
    }
}
