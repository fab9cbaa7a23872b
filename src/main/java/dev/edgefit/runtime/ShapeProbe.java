package dev.edgefit.runtime;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.edgefit.model.ModelSnapshot;

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
        GraphProto g = model.graph();
        Set<String> have = new HashSet<>();
        g.getOutputList().forEach(o -> have.add(o.getName()));
        GraphProto.Builder gb = g.toBuilder();
        for (NodeProto n : g.getNodeList()) {
            for (String o : n.getOutputList()) {
                if (!o.isEmpty() && have.add(o)) {
                    gb.addOutput(ValueInfoProto.newBuilder().setName(o));
                }
            }
        }
        ModelProto augmented = model.proto().toBuilder().setGraph(gb).build();
        Map<String, long[]> shapes = new HashMap<>();
        inputs.forEach((k, v) -> shapes.put(k, v.shape()));
        model.initializers().forEach((k, v) -> shapes.put(k, v.getDimsList().stream().mapToLong(Long::longValue).toArray()));
        Map<String, OnnxTensor> feeds = new HashMap<>();
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
            try (OrtSession s = OrtRunner.env().createSession(augmented.toByteArray(), so)) {
                for (Map.Entry<String, Tensor> e : inputs.entrySet()) {
                    feeds.put(e.getKey(), OrtRunner.toOrt(OrtRunner.env(), e.getValue()));
                }
                try (OrtSession.Result r = s.run(feeds)) {
                    for (Map.Entry<String, OnnxValue> e : r) {
                        if (e.getValue() instanceof OnnxTensor t) {
                            shapes.put(e.getKey(), t.getInfo().getShape());
                        }
                    }
                }
            }
        } catch (OrtException e) {
            throw OrtRunner.translate(model.origin() == null ? java.nio.file.Path.of(model.label()) : model.origin(), e);
        } finally {
            feeds.values().forEach(OnnxTensor::close);
        }
        return shapes;
    }
}
