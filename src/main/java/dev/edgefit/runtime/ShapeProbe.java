package dev.edgefit.runtime;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import dev.edgefit.model.DType;
import dev.edgefit.model.ModelSnapshot;

import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Finds the concrete shape of every value in a graph by running it once in ONNX Runtime with every
 * node output exposed as a graph output. Shapes are measured, not inferred by hand.
 */
public final class ShapeProbe {
    private ShapeProbe() {
    }

    public static Map<String, long[]> probe(ModelSnapshot model, Map<String, Tensor> inputs) {
        Map<String, long[]> shapes = new HashMap<>();
        inputs.forEach((k, v) -> shapes.put(k, v.shape()));
        model.initializers().forEach((k, v) -> shapes.put(k, v.getDimsList().stream().mapToLong(Long::longValue).toArray()));
        Set<String> all = new HashSet<>();
        for (NodeProto n : model.graph().getNodeList()) {
            all.addAll(n.getOutputList());
        }
        all.remove("");
        try (OrtRunner r = OrtRunner.inMemory(exposing(model, all), new RunnerOptions(0, RunnerOptions.OptLevel.NONE))) {
            r.run(inputs).forEach((k, v) -> shapes.put(k, v.shape()));
        }
        return shapes;
    }

    /**
     * The element type of every value in the graph (inputs, initializers, node outputs) as ONNX Runtime infers it
     * when it loads the graph with every node output exposed; nothing is run. Values that are not tensors
     * (sequences, maps) are left out.
     */
    public static Map<String, DType> elementTypes(ModelSnapshot model) {
        Map<String, DType> types = new HashMap<>();
        model.initializers().forEach((k, v) -> types.put(k, DType.fromOnnx(v.getDataType())));
        model.inputs().forEach(s -> types.put(s.name(), s.dtype()));
        Set<String> all = new HashSet<>();
        for (NodeProto n : model.graph().getNodeList()) {
            all.addAll(n.getOutputList());
        }
        all.remove("");
        try (OrtRunner r = OrtRunner.inMemory(exposing(model, all), new RunnerOptions(1, RunnerOptions.OptLevel.NONE))) {
            r.outputs().forEach(s -> types.put(s.name(), s.dtype()));
        }
        return types;
    }

    /** A copy of the model in which the named values are also graph outputs (so that a run returns them). */
    public static ModelSnapshot exposing(ModelSnapshot model, Collection<String> values) {
        GraphProto g = model.graph();
        Set<String> have = new HashSet<>();
        g.getOutputList().forEach(o -> have.add(o.getName()));
        GraphProto.Builder gb = g.toBuilder();
        for (String v : values) {
            if (have.add(v)) {
                gb.addOutput(ValueInfoProto.newBuilder().setName(v));
            }
        }
        return model.derive(model.proto().toBuilder().setGraph(gb).build(), model.label());
    }
}
