package dev.edgefit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgefit.ModelCorpus;
import dev.edgefit.TestModels;
import org.junit.jupiter.api.Test;

import static dev.edgefit.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.*;

/** inspect says which axis order an image model takes, read from its graph. */
class InspectLayoutCliTest {

    @Test
    void inspectSaysNhwcForATensorFlowModelAndNchwForTheSample() throws Exception {
        JsonNode blaze = run("inspect", ModelCorpus.BLAZEFACE.path(), "--json").json();
        assertEquals("NHWC", blaze.at("/layout").asText());
        assertEquals("NCHW", run("inspect", TestModels.sampleCnn(), "--json").json().at("/layout").asText());
        assertTrue(run("inspect", TestModels.miniLm(), "--json").json().at("/layout").isNull(), "no image input, no layout");

        CliRun text = run("inspect", ModelCorpus.BLAZEFACE.path());
        assertEquals(0, text.code(), text.err());
        assertTrue(text.out().lines().anyMatch(l -> l.strip().startsWith("layout") && l.contains("NHWC")), text.out());
    }
}
