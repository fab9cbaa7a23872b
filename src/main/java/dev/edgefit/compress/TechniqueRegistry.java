package dev.edgefit.compress;

import dev.edgefit.common.EdgeFitException;

import java.util.List;

/** Every technique EdgeFit offers, in the order the GUI lists them. Add a new technique here. */
public final class TechniqueRegistry {
    private static final List<Technique> ALL = List.of(
            new Int8Dynamic(), new Int8Static(), new Int4WeightOnly(), new Fp16(), new BinaryWeights(), new MixedPrecision(),
            new LayerFusion());

    private TechniqueRegistry() {
    }

    public static List<Technique> all() {
        return ALL;
    }

    public static Technique get(String id) {
        return ALL.stream().filter(t -> t.id().equals(id)).findFirst().orElseThrow(() -> EdgeFitException.badParameter(
                "Unknown technique '" + id + "'; known techniques: " + String.join(", ", ALL.stream().map(Technique::id).toList()) + "."));
    }
}
