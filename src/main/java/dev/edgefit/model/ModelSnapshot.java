package dev.edgefit.model;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * An immutable ONNX model. Protobuf messages are immutable, so a snapshot made from another with
 * {@code proto().toBuilder()} shares every tensor it did not replace: ten steps over a 100 MB model do not
 * cost 1 GB. External data is resolved into memory at load time.
 */
public final class ModelSnapshot {
    private final ModelProto proto;
    private final Path origin;
    private final String label;
    private volatile Map<String, TensorProto> initializers;

    public ModelSnapshot(ModelProto proto, Path origin, String label) {
        this.proto = proto;
        this.origin = origin;
        this.label = label;
    }

    public ModelProto proto() {
        return proto;
    }

    public GraphProto graph() {
        return proto.getGraph();
    }

    /** The file this snapshot was loaded from, or the file of the snapshot it derives from; may be null. */
    public Path origin() {
        return origin;
    }

    /** A short human label: the file name for a loaded model, the technique id for a derived one. */
    public String label() {
        return label;
    }

    public ModelSnapshot derive(ModelProto newProto, String newLabel) {
        return new ModelSnapshot(newProto, origin, newLabel);
    }

    public Map<String, TensorProto> initializers() {
        Map<String, TensorProto> m = initializers;
        if (m == null) {
            Map<String, TensorProto> built = new LinkedHashMap<>();
            for (TensorProto t : graph().getInitializerList()) {
                built.put(t.getName(), t);
            }
            m = Collections.unmodifiableMap(built);
            initializers = m;
        }
        return m;
    }

    public Optional<TensorProto> initializer(String name) {
        return Optional.ofNullable(initializers().get(name));
    }

    /** The default-domain opset version (0 if the model declares none). */
    public long opset() {
        for (OperatorSetIdProto o : proto.getOpsetImportList()) {
            if (o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")) {
                return o.getVersion();
            }
        }
        return 0;
    }

    public String metadata(String key) {
        for (StringStringEntryProto e : proto.getMetadataPropsList()) {
            if (e.getKey().equals(key)) {
                return e.getValue();
            }
        }
        return null;
    }

    /** Graph inputs that are not initializers (older models list initializers as inputs too). */
    public List<TensorSpec> inputs() {
        Set<String> inits = initializers().keySet();
        List<TensorSpec> out = new ArrayList<>();
        for (ValueInfoProto v : graph().getInputList()) {
            if (!inits.contains(v.getName())) {
                out.add(ValueInfos.spec(v));
            }
        }
        return out;
    }

    public List<TensorSpec> outputs() {
        return graph().getOutputList().stream().map(ValueInfos::spec).toList();
    }

    /** For every value name, the nodes that consume it. */
    public Map<String, List<NodeProto>> consumers() {
        Map<String, List<NodeProto>> m = new HashMap<>();
        for (NodeProto n : graph().getNodeList()) {
            for (String in : n.getInputList()) {
                if (!in.isEmpty()) {
                    m.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
                }
            }
        }
        return m;
    }

    /** All value names in the graph (inputs, outputs, initializers, node outputs), for making fresh names. */
    public Set<String> valueNames() {
        Set<String> s = new HashSet<>(initializers().keySet());
        graph().getInputList().forEach(v -> s.add(v.getName()));
        graph().getOutputList().forEach(v -> s.add(v.getName()));
        for (NodeProto n : graph().getNodeList()) {
            s.addAll(n.getOutputList());
            s.add(n.getName());
        }
        return s;
    }
}
