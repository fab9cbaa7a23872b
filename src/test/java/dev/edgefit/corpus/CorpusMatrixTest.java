package dev.edgefit.corpus;

import dev.edgefit.ModelCorpus;
import dev.edgefit.TestModels;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every (model, action) pair of the corpus either works or is refused with a reason, none fails, and docs/models.md
 * says exactly what the product does ({@code -Dedgefit.regenerate=true} rewrites it).
 */
@Tag("corpus")
class CorpusMatrixTest {
    @Test
    void everyPairWorksOrIsRefusedWithAReasonAndTheDocSaysSo() throws Exception {
        Path work = TestModels.tempDir("corpus");
        List<CorpusMatrix.Cell> cells = CorpusMatrix.runAll(ModelCorpus.all(), work, System.out);
        String md = CorpusMatrix.markdown(ModelCorpus.all(), cells);
        Path doc = TestModels.root().resolve("docs/models.md");
        if (Boolean.getBoolean("edgefit.regenerate")) {
            Files.writeString(doc, md);
        }
        List<CorpusMatrix.Cell> failed = cells.stream().filter(c -> c.outcome() == CorpusMatrix.Outcome.FAILED).toList();
        assertTrue(failed.isEmpty(), "failed pairs: " + failed);
        assertEquals(Files.readString(doc), md, "docs/models.md differs from what the product does; regenerate it");
    }
}
