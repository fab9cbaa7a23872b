package dev.edgefit.compress;

import ai.onnx.proto.OnnxMl.NodeProto;

import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

/** The "layers" parameter shared by techniques: node names to change, comma separated; empty means every layer. */
final class LayerFilter {
    static final String PARAM = "layers";

    private final Set<String> names;

    private LayerFilter(Set<String> names) {
        this.names = names;
    }

    static ParamSpec spec() {
        return ParamSpec.text(PARAM, "", "Node names to change, comma separated; empty changes every eligible layer.");
    }

    static LayerFilter of(Params p) {
        return new LayerFilter(Arrays.stream(p.getString(PARAM).split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .collect(Collectors.toSet()));
    }

    boolean accepts(NodeProto n) {
        return names.isEmpty() || names.contains(n.getName());
    }

    boolean isAll() {
        return names.isEmpty();
    }
}
