package dev.edgefit.runtime;

import dev.edgefit.model.TensorSpec;

import java.util.List;
import java.util.Map;

/**
 * Runs a model artifact in a real runtime. Implementations load the artifact from disk, so what is
 * measured is what was written. Not thread-safe for concurrent {@link #run} calls unless stated.
 */
public interface Runner extends AutoCloseable {
    /** Runtime and version, e.g. "onnxruntime 1.29.0 (CPU)". */
    String runtimeName();

    List<TensorSpec> inputs();

    List<TensorSpec> outputs();

    /** Runs one inference; returns every graph output by name, in output order. */
    Map<String, Tensor> run(Map<String, Tensor> inputs);

    @Override
    void close();
}
