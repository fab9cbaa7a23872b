package dev.edgefit.cli;

import dev.edgefit.ModelCorpus;
import dev.edgefit.TestModels;
import dev.edgefit.common.EdgeFitException;
import dev.edgefit.common.Progress;
import dev.edgefit.export.ExportFormat;
import dev.edgefit.export.ExportService;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.OnnxModels;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static dev.edgefit.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.*;

/**
 * An export is all or nothing: every requested format is checked against the model before anything is calibrated or
 * written, so a model with operators TFLite export does not take is refused at once, with an empty output folder.
 */
class ExportChecksFirstCliTest {

    @Test
    void unsupportedTfliteOperatorsAreRefusedBeforeAnythingIsWrittenOrCalibrated() throws Exception {
        Path model = ModelCorpus.MINILM.path();
        Path out = TestModels.tempDir("cli-export-first").resolve("out");
        run("export", model, "--format", "onnx,tflite-int8,tflite-micro", "--out", out)
                .assertError(EdgeFitCli.UNSUPPORTED_OPERATOR, "TFLite export does not support", "(Erf)", "(Gather)", "Erf 6", "ONNX or ORT format");
        assertTrue(!Files.exists(out) || isEmpty(out), "nothing written to " + out);

        // the same request in process: the refusal comes before the first progress report (shapes, calibration, writing)
        ModelSnapshot m = OnnxModels.load(model);
        List<String> reported = new ArrayList<>();
        Progress recording = new Progress() {
            @Override
            public void update(double fraction, String message) {
                reported.add(message);
            }

            @Override
            public boolean isCancelled() {
                return false;
            }
        };
        EdgeFitException e = assertThrows(EdgeFitException.class, () -> ExportService.export(new ExportService.Request(m, model, out,
                EnumSet.of(ExportFormat.ONNX, ExportFormat.TFLITE_INT8, ExportFormat.TENSORRT_BUNDLE), null, 4, null, false, Map.of()), recording));
        assertEquals(EdgeFitException.Kind.UNSUPPORTED_OPERATOR, e.kind());
        assertEquals(List.of(), reported, "no calibration, no verification, no writing before the refusal");
        assertTrue(!Files.exists(out) || isEmpty(out));
    }

    @Test
    void aTensorRtBundleTheModelCannotHaveIsRefusedBeforeTheOnnxModelIsWritten() throws Exception {
        Path out = TestModels.tempDir("cli-export-trt-first").resolve("out");
        // the bundle's QDQ model needs float layers to quantize; the already-int8 MiniLM twin has none left
        run("export", ModelCorpus.MINILM_Q.path(), "--format", "onnx,tensorrt-bundle", "--out", out)
                .assertError(EdgeFitCli.NOT_APPLICABLE, "already int8", "MatMulInteger");
        assertTrue(!Files.exists(out) || isEmpty(out), "nothing written to " + out);
    }

    @Test
    void aReportWithoutTechniquesIsCheckedBeforeTheModelIsMeasured() throws Exception {
        Path out = TestModels.tempDir("cli-report-first").resolve("out");
        run("report", ModelCorpus.MINILM.path(), "--format", "onnx,tflite", "--out", out)
                .assertError(EdgeFitCli.UNSUPPORTED_OPERATOR, "TFLite export does not support", "(Erf)");
        assertTrue(!Files.exists(out) || isEmpty(out), "nothing written to " + out);
    }

    private static boolean isEmpty(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }
}
