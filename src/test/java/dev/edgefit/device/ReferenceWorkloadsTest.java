package dev.edgefit.device;

import dev.edgefit.common.Json;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.ModelStats;
import dev.edgefit.runtime.ShapeProbe;
import dev.edgefit.data.InputGenerator;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The stored reference workloads are those of the ONNX graphs in ReferenceModels, and those graphs ask for the
 * work their published descriptions give. Run with {@code -Dedgefit.regenerate=true} to rewrite the file.
 */
class ReferenceWorkloadsTest {
    /** Published MACs: MLPerf Tiny's model descriptions and the MobileNet/ResNet papers. */
    private static final Map<String, Double> PUBLISHED_MACS = Map.of(
            "mlperf-tiny-ic", 12.5e6, "mlperf-tiny-kws", 2.66e6, "mobilenet_v1", 569e6, "mobilenet_v2", 300e6,
            "resnet18", 1.82e9, "resnet50", 4.1e9);

    @Test
    void storedWorkloadsMatchTheGraphs() throws Exception {
        List<ReferenceWorkloads.Model> models = new ArrayList<>();
        for (Map.Entry<String, Map.Entry<String, Supplier<ModelSnapshot>>> e : ReferenceModels.all().entrySet()) {
            ModelSnapshot m = e.getValue().getValue().get();
            Map<String, long[]> shapes = ShapeProbe.probe(m, new InputGenerator(m, Map.of()).generate(0));
            Workload w = Workload.of(m, shapes, "int8");
            long params = ModelStats.compute(m, shapes).parameters();
            models.add(new ReferenceWorkloads.Model(e.getKey(), e.getValue().getKey(), params, w.ops(), w.peakActivationBytes()));
            long macs = w.ops().stream().filter(Workload.Op::hasMacs).mapToLong(Workload.Op::macs).sum();
            Double published = PUBLISHED_MACS.get(e.getKey());
            if (published != null) {
                assertEquals(published, macs, published * 0.06, e.getKey() + " MACs");
            }
        }
        String fresh = Json.write(ReferenceWorkloads.toJson(models)) + "\n";
        Path file = Path.of("src/main/resources" + ReferenceWorkloads.RESOURCE);
        if (Boolean.getBoolean("edgefit.regenerate")) {
            Files.writeString(file, fresh);
        }
        assertTrue(Files.exists(file), file + " is missing; run with -Dedgefit.regenerate=true");
        assertEquals(fresh, Files.readString(file), file + " is out of date; run with -Dedgefit.regenerate=true");
    }
}
