package dev.edgefit.compress;

import dev.edgefit.common.EdgeFitException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class ParamSpecTest {

    @Test
    void parsesAndChecksEachType() {
        assertEquals(5, ParamSpec.integer("n", 1, 0, 10, "").parse("t", "5"));
        assertEquals(0.25, ParamSpec.decimal("x", 0.5, 0, 1, "").parse("t", "0.25"));
        assertEquals(Boolean.FALSE, ParamSpec.bool("b", true, "").parse("t", "no"));
        assertEquals("b", ParamSpec.choice("c", "a", List.of("a", "b"), "").parse("t", "b"));
    }

    @Test
    void refusesOutOfRangeAndUnknownValuesWithOneSentence() {
        EdgeFitException e = assertThrows(EdgeFitException.class, () -> ParamSpec.integer("block", 32, 16, 256, "").parse("int4", "8"));
        assertEquals("Parameter 'block' of technique 'int4' must be a value from 16 to 256, not '8'.", e.getMessage());
        EdgeFitException e2 = assertThrows(EdgeFitException.class, () -> ParamSpec.choice("calibration", "minmax",
                List.of("minmax", "entropy"), "").parse("int8-static", "kl"));
        assertTrue(e2.getMessage().contains("one of minmax, entropy"), e2.getMessage());
        assertThrows(EdgeFitException.class, () -> ParamSpec.decimal("x", 0.5, 0, 1, "").parse("t", "NaN"));
        assertThrows(EdgeFitException.class, () -> ParamSpec.integer("n", 1, 0, 10, "").parse("t", "2.5"));
    }
}
