package dev.edgefit.eval;

import dev.edgefit.TestModels;
import dev.edgefit.runtime.RunnerOptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Peak memory measured in a process of its own: repeatable, and it follows what the model keeps resident. */
class MemoryProbeTest {
    @Test
    void theSameModelGivesTheSameFigureEachTime() {
        Long a = MemoryProbe.measure(TestModels.sampleCnn(), RunnerOptions.DEFAULT);
        Long b = MemoryProbe.measure(TestModels.sampleCnn(), RunnerOptions.DEFAULT);
        assertNotNull(a, "Linux has a resident high-water mark");
        assertNotNull(b);
        assertTrue(a > 0);
        assertEquals(a, b, a * 0.05, "two fresh processes, one model: " + a + " and " + b);
    }

    @Test
    void weightsThatStayResidentShowAndInt8WeightsTakeLess() throws Exception {
        long fp32 = MemoryProbe.measure(TestModels.miniLm(), RunnerOptions.DEFAULT);
        long int8 = MemoryProbe.measure(TestModels.miniLmQuantized(), RunnerOptions.DEFAULT);
        assertTrue(fp32 >= Files.size(TestModels.miniLm()), "the 90 MB of float weights are resident: " + fp32);
        assertTrue(int8 < fp32 / 2, "int8 weights: " + int8 + " against " + fp32);
    }

    @Test
    void aFileThatDoesNotLoadIsNotMeasuredRatherThanGuessed() throws Exception {
        java.nio.file.Path broken = TestModels.tempDir("probe").resolve("broken.onnx");
        Files.writeString(broken, "not a model");
        assertNull(MemoryProbe.measure(broken, RunnerOptions.DEFAULT));
    }
}
