package dev.edgefit.export;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgefit.ModelCorpus;
import dev.edgefit.TestModels;
import dev.edgefit.common.Json;
import dev.edgefit.common.Progress;
import dev.edgefit.export.tflite.TfliteSchema;
import dev.edgefit.model.Layouts;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.OnnxModels;
import dev.edgefit.data.InputGenerator;
import dev.edgefit.runtime.OrtRunner;
import dev.edgefit.runtime.RunnerOptions;
import dev.edgefit.runtime.Tensor;
import dev.edgefit.runtime.TfliteRunner;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Models converted from TensorFlow take NHWC images and transpose them to NCHW first (tf2onnx). Their TFLite file must
 * take the same NHWC tensor as the ONNX model, with no permutation anywhere: not in the file, not in the verification.
 */
class NhwcTfliteExportTest {

    @Test
    void layoutsAreReadFromTheGraph() {
        assertEquals(Layouts.NHWC, Layouts.modelLayout(OnnxModels.load(ModelCorpus.BLAZEFACE.path())), "input:0 -> Transpose(0,3,1,2)");
        assertEquals(Layouts.NHWC, Layouts.modelLayout(OnnxModels.load(ModelCorpus.MLSD.path())), "input -> Mul -> Sub -> Transpose(0,3,1,2)");
        assertEquals(Layouts.NCHW, Layouts.modelLayout(OnnxModels.load(TestModels.sampleCnn())));
        ModelSnapshot miniLm = OnnxModels.load(TestModels.miniLm());
        assertNull(Layouts.modelLayout(miniLm), "no image input");
        assertNull(Layouts.inputLayout(miniLm, "input_ids"));
    }

    @Test
    void anNchwModelGetsAnNhwcFileAndTheManifestSaysBoth() throws Exception {
        Path src = TestModels.sampleCnn();
        ModelSnapshot m = OnnxModels.load(src);
        Path dir = TestModels.tempDir("export-nchw");
        ExportResult r = ExportService.export(new ExportService.Request(m, src, dir, EnumSet.of(ExportFormat.TFLITE), null, 4, null, false,
                Map.of()), Progress.NONE);
        assertTrue(r.artifacts().get(0).verification().maxAbsDiff() < 1e-4, r.artifacts().get(0).verification().toString());
        JsonNode manifest = Json.mapper().readTree(r.manifest().toFile());
        assertEquals(Layouts.NCHW, manifest.at("/inputs/0/layout").asText(), "the source takes NCHW");
        JsonNode in = manifest.at("/artifacts/0/details/inputs/0");
        assertEquals(Layouts.NHWC, in.at("/layout").asText());
        assertEquals("[1,28,28,1]", in.at("/shape").toString());
        assertEquals("[1,1,28,28]", in.at("/sourceShape").toString());
        assertEquals(Layouts.NCHW, in.at("/sourceLayout").asText(), "the data is permuted from the source's NCHW");
    }

    @Test
    void blazeFaceTakesItsNhwcInputUnchanged() throws Exception {
        exportsNhwc(ModelCorpus.BLAZEFACE, new int[] {1, 128, 128, 3});
    }

    /**
     * MLSD (41 convolutions, outputs up to about 80) amplifies rounding: ONNX Runtime itself, unoptimized against
     * optimized, differs by up to about 0.007 in its offsets on generated inputs. The TFLite file must be as close to
     * ONNX Runtime as that (3x its own spread, plus 1e-4). Its scores keep a pixel only where it equals the 3x3
     * maximum around it (Equal, Cast, Mul): where two neighbours are within a rounding error of each other, the
     * runtimes can pick different ones, so a few scores flip between the value and 0; every other score is as close.
     */
    @Test
    void mlsdTakesItsNhwcInputUnchanged() throws Exception {
        Artifact a = exportsNhwc(ModelCorpus.MLSD, new int[] {1, 320, 320, 4});
        Path src = ModelCorpus.MLSD.path();
        ModelSnapshot m = OnnxModels.load(src);
        int flipped = 0;
        int flippedOrt = 0;
        int total = 0;
        try (TfliteRunner t = new TfliteRunner(a.path(), Map.of(), 1); OrtRunner o = new OrtRunner(src, RunnerOptions.DEFAULT);
             OrtRunner plain = new OrtRunner(src, new RunnerOptions(1, RunnerOptions.OptLevel.NONE))) {
            for (int seed = 0; seed < 2; seed++) {
                Map<String, Tensor> in = new InputGenerator(m, Map.of()).generate(seed);
                Map<String, Tensor> ft = t.run(in);
                Map<String, Tensor> fo = o.run(in);
                Map<String, Tensor> fp = plain.run(in);
                assertEquals(fo.keySet(), ft.keySet());
                for (String out : fo.keySet()) {
                    assertArrayEquals(fo.get(out).shape(), ft.get(out).shape(), out);
                }
                double floor = maxDiff(fp.get("offsets").floats(), fo.get("offsets").floats());
                double diff = maxDiff(ft.get("offsets").floats(), fo.get("offsets").floats());
                System.out.printf("mlsd seed %d: offsets max |TFLite - ORT| %.3g, max |ORT unoptimized - ORT| %.3g%n", seed, diff, floor);
                assertTrue(diff <= 3 * floor + 1e-4, "offsets: TFLite " + diff + " against ONNX Runtime's own " + floor);
                float[] sT = ft.get("scores").floats();
                float[] sO = fo.get("scores").floats();
                float[] sP = fp.get("scores").floats();
                double scoreFloor = 0;
                for (int i = 0; i < sO.length; i++) {
                    if (sO[i] != 0 && sP[i] != 0) {
                        scoreFloor = Math.max(scoreFloor, Math.abs(sO[i] - sP[i]));
                    }
                }
                for (int i = 0; i < sO.length; i++) {
                    if (sO[i] == 0 ^ sP[i] == 0) {
                        flippedOrt++;
                    }
                    if (sO[i] == 0 ^ sT[i] == 0) {
                        flipped++;
                    } else {
                        assertEquals(sO[i], sT[i], 3 * scoreFloor + 1e-4, "scores[" + i + "]");
                    }
                }
                total += sO.length;
            }
        }
        System.out.println("mlsd: " + flipped + " of " + total + " scores flipped between a peak and 0 (ONNX Runtime unoptimized: " + flippedOrt + ")");
        assertTrue(flipped <= 3 * flippedOrt + total / 10_000, flipped + " of " + total + " scores flipped, ONNX Runtime itself " + flippedOrt);
    }

    private static double maxDiff(float[] a, float[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }

    static Artifact exportsNhwc(ModelCorpus.Entry e, int[] shape) throws Exception {
        Path src = e.path();
        ModelSnapshot m = OnnxModels.load(src);
        assertArrayEquals(Arrays.stream(shape).asLongStream().toArray(), m.inputs().get(0).shape(), "the ONNX input");
        Path dir = TestModels.tempDir("export-nhwc-" + e.id());
        ExportResult r = ExportService.export(new ExportService.Request(m, src, dir, EnumSet.of(ExportFormat.TFLITE), null, 4, null, false,
                Map.of()), Progress.NONE);
        Artifact a = r.artifacts().get(0);
        System.out.println(e.id() + ": " + a.bytes() + " bytes, " + a.verification() + ", operators " + a.details().get("operators"));
        if (e != ModelCorpus.MLSD) {
            assertTrue(a.verification().maxAbsDiff() < 1e-4, "fp32 within 1e-4 of ONNX Runtime: " + a.verification());
        }
        assertTrue(a.verification().meanCosine() > 0.99999, a.verification().toString());
        assertEquals(4, a.verification().samples());

        JsonNode in = Json.mapper().readTree(r.manifest().toFile()).at("/artifacts/0/details/inputs/0");
        assertEquals(m.inputs().get(0).name(), in.at("/name").asText());
        assertEquals(Layouts.NHWC, in.at("/layout").asText());
        assertEquals(Arrays.toString(shape), in.at("/shape").toString().replace(",", ", "));
        assertTrue(in.at("/sourceLayout").isMissingNode(), "nothing to permute: " + in);
        JsonNode source = Json.mapper().readTree(r.manifest().toFile()).at("/inputs/0");
        assertEquals(Layouts.NHWC, source.at("/layout").asText(), "the source model's own layout");

        // the file itself takes the ONNX tensor, read with no permutation
        try (TfliteRunner t = new TfliteRunner(a.path(), Map.of(), 1)) {
            assertArrayEquals(Arrays.stream(shape).asLongStream().toArray(), t.inputs().get(0).shape());
        }
        @SuppressWarnings("unchecked")
        List<String> ops = (List<String>) a.details().get("operators");
        assertFalse(ops.contains(TfliteSchema.Op.TRANSPOSE.name()), "the leading Transpose to NCHW moves no data: " + ops);
        return a;
    }
}
