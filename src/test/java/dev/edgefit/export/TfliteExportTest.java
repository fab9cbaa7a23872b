package dev.edgefit.export;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgefit.TestModels;
import dev.edgefit.common.EdgeFitException;
import dev.edgefit.common.Json;
import dev.edgefit.common.Progress;
import dev.edgefit.data.Dataset;
import dev.edgefit.device.DeviceCatalog;
import dev.edgefit.export.tflite.MicroSource;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.OnnxModels;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** The sample CNN exported to every TFLite precision, TFLite Micro and a TensorRT bundle, each verified by running it. */
class TfliteExportTest {
    static Path src;
    static ModelSnapshot model;
    static Dataset data;

    @BeforeAll
    static void load() {
        src = TestModels.sampleCnn();
        model = OnnxModels.load(src);
        data = ExportServiceTest.sampleData(model);
    }

    static String figures(Artifact a) {
        Verification v = a.verification();
        return String.format(Locale.ROOT, "%-28s %-20s %9d bytes  maxAbsDiff %.3g  cosine %.6f  top-1 %.4f  accuracy %.2f%% (source %.2f%%)",
                a.path().getFileName(), a.format(), a.bytes(), v.maxAbsDiff(), v.meanCosine(), v.top1Agreement(), v.accuracy() * 100, v.sourceAccuracy() * 100);
    }

    @Test
    void sampleCnnInEveryTflitePrecisionRunsInTensorFlowLite() throws Exception {
        Path dir = TestModels.tempDir("export-tflite");
        ExportResult r = ExportService.export(new ExportService.Request(model, src, dir, EnumSet.of(ExportFormat.TFLITE, ExportFormat.TFLITE_FP16,
                ExportFormat.TFLITE_INT8_WEIGHTS, ExportFormat.TFLITE_INT8), data, 2000, null, false, Map.of(), null, 200), Progress.NONE);
        assertEquals(4, r.artifacts().size());
        for (Artifact a : r.artifacts()) {
            System.out.println(figures(a));
            byte[] b = Files.readAllBytes(a.path());
            assertEquals("TFL3", new String(b, 4, 4, StandardCharsets.US_ASCII), "TFLite flatbuffer identifier");
            assertEquals(b.length, a.bytes());
            assertEquals(ExportService.sha256(a.path()), a.sha256());
            Verification v = a.verification();
            assertTrue(v.runtime().startsWith("TensorFlow Lite 2.21"), v.runtime());
            assertEquals(2000, v.samples());
            assertTrue(v.passed(), v.note());
            assertTrue(v.sourceAccuracy() - v.accuracy() <= 0.01, "accuracy drop at most 1 point: " + v);
        }
        Verification fp32 = r.artifacts().get(0).verification();
        assertTrue(fp32.maxAbsDiff() < 1e-4, "float within 1e-4 of ONNX Runtime: " + fp32);
        assertEquals(1.0, fp32.top1Agreement());
        assertEquals(fp32.sourceAccuracy(), fp32.accuracy());
        assertTrue(r.artifacts().get(1).verification().meanCosine() > 0.9999, "fp16 weights");
        for (Artifact a : r.artifacts().subList(2, 4)) {
            assertTrue(a.verification().top1Agreement() >= 0.98, a.format() + ": " + a.verification());
        }
        long[] sizes = r.artifacts().stream().mapToLong(Artifact::bytes).toArray();
        assertTrue(sizes[1] < sizes[0] * 0.55 && sizes[2] < sizes[0] * 0.3 && sizes[3] < sizes[0] * 0.32, "fp16 about half, int8 about a quarter: "
                + java.util.Arrays.toString(sizes));

        JsonNode m = Json.mapper().readTree(r.manifest().toFile());
        JsonNode int8 = m.at("/artifacts/3");
        assertEquals("tflite-int8", int8.at("/format").asText());
        assertEquals("model_int8.tflite", int8.at("/path").asText());
        assertEquals("NHWC", int8.at("/details/inputs/0/layout").asText());
        assertEquals("[1,28,28,1]", int8.at("/details/inputs/0/shape").toString());
        assertEquals("float32", int8.at("/details/inputs/0/dtype").asText());
        assertEquals(200, int8.at("/details/calibrationSamples").asInt());
        assertTrue(int8.at("/details/operators").toString().contains("QUANTIZE"));
        assertEquals("coreml", m.at("/notProduced/0/format").asText());
        String readme = Files.readString(dir.resolve("README.md"));
        assertTrue(readme.contains("model_int8.tflite") && readme.contains("Core ML"), readme);
    }

    @Test
    void tfliteMicroSourceCompilesAndHoldsTheModelBytes() throws Exception {
        Path dir = TestModels.tempDir("export-micro");
        var esp = DeviceCatalog.bundled().find("esp32-s3").orElseThrow();
        ExportResult r = ExportService.export(new ExportService.Request(model, src, dir, EnumSet.of(ExportFormat.TFLITE_MICRO), data, 500, null, false,
                Map.of(), esp, 200), Progress.NONE);
        Artifact a = r.artifacts().get(0);
        System.out.println(figures(a) + "  " + a.details().get("arenaEstimateBytes") + " arena estimate");
        assertEquals(dir.resolve("micro/model_data.cc"), a.path());
        byte[] tflite = Files.readAllBytes(dir.resolve("micro/model.tflite"));
        String cc = Files.readString(a.path());
        assertArrayEquals(tflite, MicroSource.parseSource(cc), "the C array holds the .tflite bytes");
        assertTrue(cc.contains("alignas(16) const unsigned char g_model_data[]"), "aligned, const: stays in flash");
        assertTrue(a.verification().top1Agreement() >= 0.98, a.verification().toString());
        assertTrue(a.verification().sourceAccuracy() - a.verification().accuracy() <= 0.01, a.verification().toString());
        assertEquals("int8", ((List<?>) a.details().get("inputs")).stream().map(o -> ((Map<?, ?>) o).get("dtype")).findFirst().orElseThrow());
        @SuppressWarnings("unchecked")
        List<String> resolvers = (List<String>) a.details().get("resolvers");
        assertTrue(resolvers.containsAll(List.of("AddConv2D()", "AddDepthwiseConv2D()", "AddFullyConnected()", "AddMaxPool2D()", "AddReshape()")), resolvers.toString());
        assertFalse(resolvers.contains("AddDequantize()"), "int8 input and output: no float at the ends");
        long arena = ((Number) a.details().get("arenaEstimateBytes")).longValue();
        assertTrue(arena > 28 * 28 * 16 && arena < 200_000, "the largest activation (28x28x16 int8) fits in it: " + arena);
        assertTrue(((String) a.details().get("fit")).startsWith("Espressif ESP32-S3"), (String) a.details().get("fit"));

        String cxx = compiler();
        Assumptions.assumeTrue(cxx != null, "no C++ compiler (g++, c++ or gcc) on this machine: the C source was checked byte for byte but not compiled");
        // a translation unit that includes the header, instantiates the resolver registration and prints what it sees
        StringBuilder check = new StringBuilder("#include <cstdio>\n#include \"model_data.h\"\nstruct Resolver { int n = 0;\n");
        resolvers.forEach(res -> check.append("  void ").append(res, 0, res.length() - 2).append("() { n++; }\n"));
        check.append("};\nint main() { Resolver r; edgefit_register_ops(r); unsigned long sum = 0;\n")
                .append("  for (unsigned i = 0; i < g_model_data_len; i++) sum = sum * 31 + g_model_data[i];\n")
                .append("  std::printf(\"%u %d %d %lu %d\\n\", g_model_data_len, r.n, EDGEFIT_TENSOR_ARENA_SIZE, sum, (int) (((unsigned long) g_model_data) % 16));\n")
                .append("  return 0; }\n");
        Path micro = dir.resolve("micro");
        Files.writeString(micro.resolve("check.cc"), check);
        run(micro, cxx, "-std=c++17", "-Wall", "-Werror", "-c", "model_data.cc", "-o", "model_data.o");
        run(micro, cxx, "-std=c++17", "-c", "check.cc", "-o", "check.o");
        run(micro, cxx, "model_data.o", "check.o", "-o", "check", "-lstdc++");
        String[] out = run(micro, micro.resolve("check").toString()).trim().split(" ");
        long sum = 0;
        for (byte b : tflite) {
            sum = sum * 31 + (b & 0xFF);
        }
        assertEquals(String.valueOf(tflite.length), out[0]);
        assertEquals(String.valueOf(resolvers.size()), out[1]);
        assertEquals(String.valueOf(a.details().get("arenaRecommendedBytes")), out[2]);
        assertEquals(Long.toUnsignedString(sum), out[3], "the compiled array holds the same bytes");
        assertEquals("0", out[4], "16-byte aligned");
    }

    static String compiler() {
        for (String c : List.of("g++", "c++", "gcc")) {
            for (String dir : System.getenv("PATH").split(":")) {
                if (Files.isExecutable(Path.of(dir, c))) {
                    return c;
                }
            }
        }
        return null;
    }

    static String run(Path dir, String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), String.join(" ", cmd) + " timed out");
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ":\n" + out);
        return out;
    }

    @Test
    void tensorRtBundleHoldsVerifiedModelsACalibrationCacheAndTheBuildScript() throws Exception {
        Path dir = TestModels.tempDir("export-trt");
        ExportResult r = ExportService.export(new ExportService.Request(model, src, dir, EnumSet.of(ExportFormat.TENSORRT_BUNDLE), data, 500, null, false,
                Map.of(), null, 100), Progress.NONE);
        assertEquals(2, r.artifacts().size());
        for (Artifact a : r.artifacts()) {
            System.out.println(figures(a));
            assertTrue(a.verification().runtime().startsWith("onnxruntime"), a.verification().runtime());
            assertTrue(a.verification().top1Agreement() >= 0.98, a.verification().toString());
        }
        assertEquals("int8 static (QDQ, symmetric)", r.artifacts().get(1).precision());
        Path trt = dir.resolve("tensorrt");
        List<String> cache = Files.readAllLines(trt.resolve("calibration.cache"));
        assertEquals(TensorRtBundle.CACHE_HEADER, cache.get(0));
        String inputLine = cache.stream().filter(l -> l.startsWith("input: ")).findFirst().orElseThrow();
        float scale = Float.intBitsToFloat(Integer.parseUnsignedInt(inputLine.substring(7), 16));
        // the input is (p/255 - 0.2860)/0.3530: its largest magnitude is (1 - 0.286)/0.353 = 2.0227
        assertEquals(2.0227f / 127, scale, 1e-4, inputLine);
        assertTrue(cache.stream().anyMatch(l -> l.startsWith("logits: ")), "every activation, outputs included");
        String script = Files.readString(trt.resolve("build.sh"));
        assertTrue(script.contains("--onnx=model.onnx --fp16") && script.contains("--onnx=model_qdq.onnx --int8"), script);
        assertTrue(script.contains("--shapes=input:1x1x28x28"), "the sample's batch axis is dynamic");
        assertTrue(Files.isExecutable(trt.resolve("build.sh")));
        assertTrue(Files.readString(trt.resolve("README.md")).contains("No engine was built on this machine"));
    }

    @Test
    void anInt8StaticSnapshotKeepsItsOwnCalibrationInFullIntegerTflite() throws Exception {
        dev.edgefit.compress.Int8Static t = new dev.edgefit.compress.Int8Static();
        ModelSnapshot qdq = t.apply(model, dev.edgefit.compress.Params.of(t, Map.of("samples", 100)),
                new dev.edgefit.compress.TechniqueContext(Progress.NONE, data));
        ExportResult r = ExportService.export(new ExportService.Request(qdq, src, TestModels.tempDir("export-qdq"), EnumSet.of(ExportFormat.TFLITE_INT8),
                data, 500, null, false, Map.of("steps", "int8-static")), Progress.NONE);
        Artifact a = r.artifacts().get(0);
        System.out.println(figures(a) + "  (from the int8-static snapshot)");
        assertTrue(a.verification().top1Agreement() >= 0.98, a.verification().toString());
        assertTrue(a.details().get("notes").toString().contains("taken from the model's QuantizeLinear nodes"), a.details().get("notes").toString());
    }

    @Test
    void coreMlIsRefusedWithWhatToShipInstead() {
        EdgeFitException e = assertThrows(EdgeFitException.class, () -> ExportFormat.parse("coreml"));
        assertEquals(EdgeFitException.Kind.BAD_PARAMETER, e.kind());
        assertTrue(e.getMessage().contains("model.ort") && e.getMessage().contains("TFLite"), e.getMessage());
    }

    @Test
    void aGraphWithUnsupportedOperatorsNamesThemAndWritesNothing() {
        Path dir = TestModels.tempDir("export-unsupported");
        ModelSnapshot miniLm = OnnxModels.load(TestModels.miniLmQuantized());
        EdgeFitException e = assertThrows(EdgeFitException.class, () -> ExportService.export(new ExportService.Request(miniLm, TestModels.miniLmQuantized(),
                dir, EnumSet.of(ExportFormat.TFLITE), null, 4, null, false, Map.of()), Progress.NONE));
        assertEquals(EdgeFitException.Kind.UNSUPPORTED_OPERATOR, e.kind());
        assertTrue(e.getMessage().contains("(MatMulInteger)") || e.getMessage().contains("takes float inputs"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("model.tflite")));
        assertFalse(Files.exists(dir.resolve("manifest.json")));
    }

}
