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
    void blazeFaceTakesItsNhwcInputUnchanged() throws Exception {
        exportsNhwc(ModelCorpus.BLAZEFACE, new int[] {1, 128, 128, 3});
    }

    @Test
    void mlsdTakesItsNhwcInputUnchanged() throws Exception {
        exportsNhwc(ModelCorpus.MLSD, new int[] {1, 320, 320, 4});
    }

    static void exportsNhwc(ModelCorpus.Entry e, int[] shape) throws Exception {
        Path src = e.path();
        ModelSnapshot m = OnnxModels.load(src);
        assertArrayEquals(Arrays.stream(shape).asLongStream().toArray(), m.inputs().get(0).shape(), "the ONNX input");
        Path dir = TestModels.tempDir("export-nhwc-" + e.id());
        ExportResult r = ExportService.export(new ExportService.Request(m, src, dir, EnumSet.of(ExportFormat.TFLITE), null, 4, null, false,
                Map.of()), Progress.NONE);
        Artifact a = r.artifacts().get(0);
        System.out.println(e.id() + ": " + a.bytes() + " bytes, " + a.verification() + ", operators " + a.details().get("operators"));
        assertTrue(a.verification().maxAbsDiff() < 1e-4, "fp32 within 1e-4 of ONNX Runtime: " + a.verification());
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
    }
}
