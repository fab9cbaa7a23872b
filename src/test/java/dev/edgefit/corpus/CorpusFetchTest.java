package dev.edgefit.corpus;

import dev.edgefit.ModelCorpus;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.OnnxModels;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;

import static org.junit.jupiter.api.Assertions.*;

class CorpusFetchTest {
    @Test
    void everyCorpusModelIsFetchedVerifiedAndLoads() throws Exception {
        assertTrue(ModelCorpus.all().size() >= 10);
        for (ModelCorpus.Entry e : ModelCorpus.all()) {
            var p = e.path();
            assertTrue(Files.size(p) > 100_000, e.id());
            ModelSnapshot m = OnnxModels.load(p);
            assertFalse(m.inputs().isEmpty(), e.id());
        }
    }
}
