package dev.edgefit.bench;

import dev.edgefit.TestModels;
import dev.edgefit.common.Progress;
import dev.edgefit.compress.Int8Dynamic;
import dev.edgefit.compress.Int8Static;
import dev.edgefit.compress.Params;
import dev.edgefit.compress.TechniqueContext;
import dev.edgefit.data.Dataset;
import dev.edgefit.data.Datasets;
import dev.edgefit.data.Preprocessing;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.OnnxModels;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * Speed of the techniques themselves, each against its peer in the same run: quantizing MiniLM end to end against a
 * plain load + save of the same model; calibrating 500 samples of the sample CNN. `mvn -Pbench test -Dtest=TechniqueSpeedBench`.
 */
@Tag("bench")
class TechniqueSpeedBench {

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    @Test
    void quantizingMiniLmAgainstLoadAndSave() {
        Path src = TestModels.miniLm();
        Path dir = TestModels.tempDir("speed");
        Int8Dynamic t = new Int8Dynamic();
        int rounds = 9;
        double[] plain = new double[rounds];
        double[] quant = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            // each side starts from a collected heap, so that neither pays for the other's 90 MB of garbage
            System.gc();
            long t0 = System.nanoTime();
            OnnxModels.save(OnnxModels.load(src), dir.resolve("plain.onnx"));
            plain[r] = (System.nanoTime() - t0) / 1e6;
            System.gc();
            t0 = System.nanoTime();
            ModelSnapshot q = t.apply(OnnxModels.load(src), Params.defaults(t), TechniqueContext.of(Progress.NONE));
            OnnxModels.save(q, dir.resolve("int8.onnx"));
            quant[r] = (System.nanoTime() - t0) / 1e6;
        }
        System.out.printf("| MiniLM load + save | %.0f ms |%n| MiniLM load + int8-dynamic + save | %.0f ms |%n| ratio | %.2fx |%n",
                median(plain), median(quant), median(quant) / median(plain));
    }

    @Test
    void calibratingFiveHundredCnnSamples() {
        ModelSnapshot cnn = OnnxModels.load(TestModels.sampleCnn());
        Dataset data = Datasets.open(TestModels.sampleData(), Preprocessing.fromJson(cnn.metadata(Preprocessing.METADATA_KEY)));
        Int8Static t = new Int8Static();
        for (String method : new String[] {"minmax", "percentile", "entropy"}) {
            long t0 = System.nanoTime();
            t.apply(cnn, Params.parse(t, Map.of("samples", "500", "calibration", method)), new TechniqueContext(Progress.NONE, data));
            System.out.printf("| int8-static, 500 calibration samples, %s | %.0f ms |%n", method, (System.nanoTime() - t0) / 1e6);
        }
    }
}
