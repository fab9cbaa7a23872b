package dev.edgefit.device;

import dev.edgefit.TestModels;
import dev.edgefit.device.DeviceProfile.Accelerator;
import dev.edgefit.device.DeviceProfile.AcceleratorKind;
import dev.edgefit.device.DeviceProfile.Cpu;
import dev.edgefit.device.DeviceProfile.CpuCluster;
import dev.edgefit.device.DeviceProfile.Runtime;
import dev.edgefit.device.DeviceProfile.Target;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.OnnxModels;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.List;
import java.util.Set;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EstimatorTest {
    private static Runtime cpuRuntime(String id, int threads, Double opOverheadUs) {
        return new Runtime(id, Target.CPU, threads, List.of("int8", "fp32"), List.of(), null, false, null, opOverheadUs, "test", true);
    }

    /** 1 core at 100 MHz, 1 fp32 and 4 int8 MACs per cycle, optional bandwidth, the given runtimes. */
    private static DeviceProfile board(Double bandwidthGBs, List<Runtime> runtimes, List<Accelerator> acc) {
        Cpu cpu = new Cpu("armv7e-m", "test core", 1, 100, List.of(), List.of(), Map.of("fp32", 1.0, "int8", 4.0));
        return new DeviceProfile("board", "Test board", Platform.ARM_CORTEX, cpu, 1L << 20, null, 1L << 20, acc, bandwidthGBs, 0.5, null,
                runtimes, List.of("tflite-micro"), Constraints.NONE, Map.of(), null, List.of());
    }

    private static Workload.Op mac(String op, String precision, long macs, long weightBytes, long in, long out) {
        return new Workload.Op(op, op, precision, macs, true, weightBytes, in, out);
    }

    @Test
    void computeBoundOperatorTakesOpsOverEffectivePeak() {
        DeviceProfile d = board(null, List.of(cpuRuntime("rt", 1, null)), List.of());
        Workload w = new Workload(List.of(mac("Conv", "fp32", 1_000_000, 0, 0, 0)), 0, 0);
        // 2e6 operations at 100 MHz x 1 MAC x 2 ops x 0.5 efficiency = 1e8 ops/s: 20 ms.
        assertEquals(0.020, Estimator.seconds(w, d, d.runtimes().get(0), (r, p) -> 0.5, null), 1e-12);
        // int8: 4 MACs per cycle, four times faster.
        Workload w8 = new Workload(List.of(mac("Conv", "int8", 1_000_000, 0, 0, 0)), 0, 0);
        assertEquals(0.005, Estimator.seconds(w8, d, d.runtimes().get(0), (r, p) -> 0.5, null), 1e-12);
        // Kernels without SIMD: one MAC per cycle whatever the precision.
        Runtime scalar = new Runtime("ref", Target.CPU, 1, List.of("int8", "fp32"), List.of(), null, false, null, null, "test", false);
        assertEquals(0.020, Estimator.seconds(w8, board(null, List.of(scalar), List.of()), scalar, (r, p) -> 0.5, null), 1e-12);
    }

    @Test
    void memoryBoundOperatorTakesBytesOverBandwidthAndOverheadAdds() {
        Runtime rt = cpuRuntime("rt", 1, 10.0);
        DeviceProfile d = board(1.0, List.of(rt), List.of());
        // 1e3 MACs (1e-5 s at efficiency 1) but 1e8 bytes at 1 GB/s: 0.1 s, plus 10 us.
        Workload w = new Workload(List.of(mac("MatMul", "fp32", 1_000, 60_000_000, 20_000_000, 20_000_000)), 0, 0);
        double[] per = new double[1];
        assertEquals(0.1 + 10e-6, Estimator.seconds(w, d, rt, (r, p) -> 1.0, per), 1e-12);
        assertEquals(0.1 + 10e-6, per[0], 1e-12);
    }

    @Test
    void threadsTakeTheFastestClustersFirst() {
        Cpu cpu = new Cpu("aarch64", "big.LITTLE", 8, 2840, List.of(), List.of(new CpuCluster("A55", 4, 1780), new CpuCluster("A76", 1, 2840),
                new CpuCluster("A76", 3, 2420)), Map.of("fp32", 8.0));
        DeviceProfile d = new DeviceProfile("phone", "Phone", Platform.ANDROID, cpu, 6L << 30, null, 64L << 30, List.of(), null, null, null,
                List.of(cpuRuntime("rt", 4, null)), List.of(), Constraints.NONE, Map.of(), null, List.of());
        assertEquals(2840 + 3 * 2420, Estimator.threadMhz(d, 4), 1e-9);
        assertEquals(2840 + 3 * 2420 + 1780, Estimator.threadMhz(d, 5), 1e-9);
        assertEquals(2.0 * 8 * 1e6 * (2840 + 3 * 2420), Estimator.peakOpsPerSecond(d, d.runtimes().get(0), "fp32"), 1);
    }

    @Test
    void operatorsTheAcceleratorDoesNotTakeFallBackToTheCpu() {
        Runtime cpu = cpuRuntime("cpu", 1, null);
        Runtime npu = new Runtime("npu", Target.NPU, 1, List.of("int8"), List.of("Conv"), "cpu", false, null, null, "test", true);
        Accelerator a = new Accelerator(AcceleratorKind.NPU, "test NPU", Map.of("int8", 100.0), "test");
        DeviceProfile d = board(null, List.of(npu, cpu), List.of(a));
        Workload w = new Workload(List.of(mac("Conv", "int8", 1_000_000, 0, 0, 0), mac("Gemm", "int8", 1_000_000, 0, 0, 0),
                mac("Conv", "fp32", 1_000_000, 0, 0, 0)), 0, 0);
        double[] per = new double[3];
        Estimator.seconds(w, d, npu, (r, p) -> 1.0, per);
        assertEquals(2e6 / 100e9, per[0], 1e-15, "Conv int8 on the NPU at 100 GOPS");
        assertEquals(2e6 / (2 * 4 * 100e6), per[1], 1e-12, "Gemm is not an NPU op: CPU int8");
        assertEquals(2e6 / (2 * 1 * 100e6), per[2], 1e-12, "fp32 is not an NPU precision: CPU fp32");
        assertEquals(Map.of("Gemm", 1, "Conv", 1), Estimator.fallbackOps(w, d, npu));
    }

    /** The bundled catalogue, its calibration and the sample CNN's workloads, as the estimate tests share them. */
    private static DeviceCatalog catalog;
    private static Calibration cal;
    private static long file;
    private static Workload natural;
    private static Workload int8;

    @org.junit.jupiter.api.BeforeAll
    static void sample() throws Exception {
        catalog = DeviceCatalog.bundled();
        cal = Calibration.of(catalog.profiles());
        ModelSnapshot cnn = OnnxModels.load(TestModels.sampleCnn());
        file = Files.size(TestModels.sampleCnn());
        natural = Workload.of(cnn, null);
        int8 = Workload.of(cnn, "int8");
    }

    @Test
    void sampleCnnOnEveryBundledDevice() throws Exception {
        List<DeviceProfile> devices = new java.util.ArrayList<>(catalog.profiles());
        devices.add(HostInfo.detect().thisMachine());
        List<Estimate> asIs = DeviceEstimates.estimate(natural, null, file, devices, null, null, null, cal, () -> 0.25);
        List<Estimate> q = DeviceEstimates.estimate(natural, int8, file, devices, null, "int8", null, cal, () -> 0.25);
        assertEquals(devices.size(), asIs.size());
        for (int i = 0; i < devices.size(); i++) {
            Estimate a = asIs.get(i);
            Estimate b = q.get(i);
            assertEquals(file, a.flashBytes(), "as-is flash is the file on disk");
            assertTrue(b.flashBytes() < file / 3, a.device() + " int8 flash " + b.flashBytes());
            if (a.measured()) {
                assertEquals(0.25, a.latencyMs());
                assertEquals(0.0, a.errorBandPct());
                continue;
            }
            assertNotNull(a.latencyMs(), a.device() + " " + a.reasons());
            assertTrue(a.errorBandPct() > 0, a.device());
            boolean onCpu = devices.get(i).runtime(a.runtime()).orElseThrow().target() == Target.CPU;
            Map<String, Double> mpc = devices.get(i).cpu().macsPerCycle();
            if (onCpu && mpc.get("int8") > mpc.get("fp32")) {
                assertTrue(b.latencyMs() < a.latencyMs(), a.device() + ": int8 " + b.latencyMs() + " vs fp32 " + a.latencyMs());
            } else if (onCpu) {
                assertTrue(b.latencyMs() <= a.latencyMs() * (1 + 1e-9), a.device() + ": int8 is never slower on the CPU");
            }
            assertTrue(b.peakRamBytes() < a.peakRamBytes(), a.device());
            if (a.errorBandPct() > FitCheck.MAX_BAND_PCT) {
                assertEquals(FitCheck.UNKNOWN_LATENCY, a.latencyText(), a.device() + ": a band wider than the estimate is unknown");
            } else {
                assertTrue(a.latencyText().startsWith("est. "), a.latencyText());
            }
        }
        // The Edge TPU runs int8 only: a float model runs on its CPU runtime, an int8 one on the TPU.
        Estimate coralFloat = asIs.stream().filter(e -> e.device().equals("coral-dev-board")).findFirst().orElseThrow();
        Estimate coralInt8 = q.stream().filter(e -> e.device().equals("coral-dev-board")).findFirst().orElseThrow();
        assertEquals("tflite-cpu", coralFloat.runtime(), coralFloat.reasons().toString());
        assertTrue(coralFloat.fallbackOps().isEmpty());
        assertTrue(coralInt8.latencyMs() <= coralFloat.latencyMs(), "int8 is never slower than float on the Coral");
        // On the TPU itself every operator of the int8 model runs there; for a model this small the per-operator cost
        // fitted to Coral's published figures (19 us) dominates, so it is not faster than the CPU estimate
        Estimate tpu = DeviceEstimates.estimate(natural, int8, file, List.of(catalog.find("coral-dev-board").orElseThrow()), "edgetpu", "int8", null,
                cal, null).get(0);
        assertEquals("edgetpu", tpu.runtime());
        assertTrue(tpu.fallbackOps().isEmpty(), tpu.fallbackOps().toString());
        assertTrue(tpu.latencyMs() > 0.1 && tpu.latencyMs() < 1, "Edge TPU: " + tpu.latencyMs() + " ms");
        Estimate esp = asIs.stream().filter(e -> e.device().equals("esp32-s3")).findFirst().orElseThrow();
        assertEquals("tflm", esp.runtime(), "ESP-NN's kernels are int8 only: a float model runs on the reference kernels");
        Estimate espInt8 = q.stream().filter(e -> e.device().equals("esp32-s3")).findFirst().orElseThrow();
        assertEquals("tflm-esp-nn", espInt8.runtime(), "the fastest runtime is chosen");
        assertTrue(espInt8.latencyMs() * 10 < esp.latencyMs(), "vector int8 kernels against scalar float ones");
        Estimate espFloat = asIs.stream().filter(e -> e.device().equals("esp32")).findFirst().orElseThrow();
        assertTrue(esp.latencyMs() < espFloat.latencyMs(), "the ESP32-S3's float reference kernels are faster than the ESP32's (published 2300 vs 4084 ms)");
        assertTrue(esp.fits(), esp.reasons().toString());
        assertEquals(natural.peakActivationBytes(), esp.peakRamBytes(), "weights stay in flash on a microcontroller");
        assertNotNull(asIs.stream().filter(e -> e.device().equals("nucleo-l4r5zi")).findFirst().orElseThrow().energyMj());
        // Jetson Nano's TensorRT has no int8: int8 operators go to the CPU and the estimate says so.
        Estimate nano = DeviceEstimates.estimate(natural, int8, file, List.of(catalog.find("jetson-nano").orElseThrow()), "tensorrt", "int8", null,
                cal, null).get(0);
        assertTrue(nano.reasons().stream().anyMatch(r -> r.contains("fall back from tensorrt to ort")), nano.reasons().toString());
        // A latency limit the estimate misses fails, with the reason first.
        Estimate tight = DeviceEstimates.estimate(natural, null, file, List.of(catalog.find("nucleo-l4r5zi").orElseThrow()), "tflm", null,
                new Constraints(null, null, 0.001), cal, null).get(0);
        assertFalse(tight.fits());
        assertTrue(tight.reasons().get(0).startsWith("Latency est. "), tight.reasons().toString());
        Estimate none = DeviceEstimates.estimate(natural, null, file, List.of(catalog.find("nucleo-l4r5zi").orElseThrow()), "tensorrt", null,
                null, cal, null).get(0);
        assertNull(none.latencyMs());
        assertTrue(none.reasons().stream().anyMatch(r -> r.contains("has no runtime 'tensorrt' (it has x-cube-ai, tflm)")), none.reasons().toString());
        assertFalse(none.fits(), "no estimate is never a fit");
    }

    @Test
    void theChosenRuntimeReadsAFormatEdgeFitWritesAndAFasterOneThatDoesNotIsNamed() throws Exception {
        List<DeviceProfile> iphone = List.of(catalog.find("iphone-15").orElseThrow());
        Set<String> all = Set.of("onnx", "ort", "tflite", "tflite-micro", "tensorrt");
        // int8 on the iPhone: Core ML on the Neural Engine is the fastest, but EdgeFit writes no Core ML
        Estimate free = DeviceEstimates.estimate(natural, int8, file, iphone, null, "int8", null, cal, null).get(0);
        assertEquals("coreml", free.runtime(), "without a format preference the fastest runtime");
        Estimate shipped = DeviceEstimates.estimate(natural, int8, file, iphone, null, "int8", null, cal, null, all).get(0);
        assertEquals("tflite-cpu", shipped.runtime());
        assertTrue(shipped.latencyMs() > free.latencyMs());
        assertTrue(shipped.reasons().stream().anyMatch(r -> r.startsWith("coreml would be faster (est. ") && r.contains("it reads coreml")
                && r.endsWith("the estimate is for tflite-cpu.")), shipped.reasons().toString());
        // a model the TFLite converter does not take: the Raspberry Pi runs it with ONNX Runtime
        List<DeviceProfile> pi = List.of(catalog.find("raspberry-pi-4").orElseThrow());
        Estimate onnxOnly = DeviceEstimates.estimate(natural, null, file, pi, null, null, null, cal, null, Set.of("onnx", "ort", "tensorrt")).get(0);
        assertEquals("ort", onnxOnly.runtime());
        assertTrue(onnxOnly.reasons().stream().anyMatch(r -> r.startsWith("tflite-cpu would be faster")), onnxOnly.reasons().toString());
        // a runtime named explicitly is estimated as asked
        assertEquals("coreml", DeviceEstimates.estimate(natural, int8, file, iphone, "coreml", "int8", null, cal, null, all).get(0).runtime());
    }

    @Test
    void int8MiniLmIsFasterWithDotProductsAndSaysWhyNotOnACortexA72() throws Exception {
        DeviceCatalog cat = DeviceCatalog.bundled();
        Calibration cal = Calibration.of(cat.profiles());
        Workload fp32 = Workload.of(OnnxModels.load(TestModels.miniLm()), (String) null);
        Workload int8 = Workload.of(OnnxModels.load(TestModels.miniLmQuantized()), (String) null);
        for (String id : List.of("raspberry-pi-4", "raspberry-pi-5")) {
            DeviceProfile d = cat.find(id).orElseThrow();
            Estimate f = DeviceEstimates.estimate(fp32, null, 1, List.of(d), "ort", null, null, cal, null).get(0);
            Estimate q = DeviceEstimates.estimate(int8, null, 1, List.of(d), "ort", null, null, cal, null).get(0);
            boolean dot = Estimator.peakOpsPerSecond(d, d.runtime("ort").orElseThrow(), "int8")
                    > Estimator.peakOpsPerSecond(d, d.runtime("ort").orElseThrow(), "fp32");
            if (dot) {
                assertTrue(q.latencyMs() < f.latencyMs() / 1.5, id + ": int8 dot products make MatMulInteger cheaper: " + q.latencyMs() + " vs " + f.latencyMs());
                assertFalse(q.basis().contains("no int8 dot-product"), q.basis());
            } else {
                assertTrue(q.basis().contains("no int8 dot-product instructions"), id + " says why int8 is not faster: " + q.basis());
                assertFalse(f.basis().contains("dot-product"), "the float model needs no such word: " + f.basis());
            }
        }
    }
}
