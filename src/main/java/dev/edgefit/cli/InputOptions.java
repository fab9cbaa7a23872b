package dev.edgefit.cli;

import dev.edgefit.common.EdgeFitException;
import dev.edgefit.data.InputGenerator;
import dev.edgefit.data.InputOverrides;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.TensorSpec;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;

/**
 * What the user fixes about the inputs EdgeFit generates when there is no data (a picocli mixin, the same on every
 * command that runs a model): the shape of an input with dynamic dimensions, and the value of an input.
 */
final class InputOptions {
    @Option(names = "--shape", paramLabel = "NAME=DIMS",
            description = "Shape of an input with dynamic dimensions, e.g. input_ids=1x64 (default: batch 1, 32 ms for audio, else 128).")
    List<String> shapes;
    @Option(names = "--input", paramLabel = "NAME=VALUE|FILE.npy",
            description = "Value of an input instead of a generated one: a number that fills it (e.g. sr=8000) or a NumPy .npy array.")
    List<String> inputs;

    /**
     * The options checked against {@code model} (read from {@code file}): every name is one of its inputs, shapes fit the
     * model's, values fit their inputs' types. Each problem is one sentence (exit 2).
     */
    InputOverrides overrides(ModelSnapshot model, Path file) {
        return overrides(model, file, InputOverrides.NONE);
    }

    /** As {@link #overrides(ModelSnapshot, Path)}, with {@code fallback} (a recipe's) when no option is given. */
    InputOverrides overrides(ModelSnapshot model, Path file, InputOverrides fallback) {
        InputOverrides o = InputOverrides.parse(shapes, inputs);
        if (o.isEmpty() && fallback != null) {
            o = fallback;
        }
        List<String> names = model.inputs().stream().map(TensorSpec::name).toList();
        for (String n : o.names()) {
            if (!names.contains(n)) {
                String opt = o.shapes().containsKey(n) ? "--shape " : "--input ";
                throw EdgeFitException.badParameter(opt + n + ": " + file + " has no input named '" + n + "'; its inputs are "
                        + String.join(", ", names) + ".");
            }
        }
        if (!o.isEmpty()) {
            new InputGenerator(model, o); // checks shapes and converts values now, before any work starts
        }
        return o;
    }
}
