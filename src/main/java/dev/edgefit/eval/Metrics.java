package dev.edgefit.eval;

/**
 * Everything measured about one artifact. Null means "not measured" (no labels, no reference, ...), never
 * zero. fileBytes is the size of the artifact on disk; accuracy is top-1 on labelled data, measured by
 * running the artifact; latency is on this machine.
 */
public record Metrics(long fileBytes, Double accuracy, Integer accuracySamples, Fidelity fidelity,
                      Latency latencyMs, Long peakMemoryBytes, String runtime) {

    public Metrics withFidelity(Fidelity f) {
        return new Metrics(fileBytes, accuracy, accuracySamples, f, latencyMs, peakMemoryBytes, runtime);
    }
}
