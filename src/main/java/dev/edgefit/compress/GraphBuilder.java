package dev.edgefit.compress;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.edgefit.model.ModelSnapshot;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Rewrites a graph node by node: a technique copies, replaces or expands each node in order and adds new
 * initializers; unchanged tensors are shared with the source snapshot. Shared by all graph-rewriting
 * techniques so that fresh names and dead initializers are handled once.
 */
public final class GraphBuilder {
    private final ModelSnapshot source;
    private final Set<String> names;
    private final List<NodeProto> nodes = new ArrayList<>();
    private final Map<String, TensorProto> initializers;
    private final Map<String, Long> extraOpsets = new LinkedHashMap<>();

    public GraphBuilder(ModelSnapshot source) {
        this.source = source;
        // one graph of a larger model (a subgraph, see Subgraphs) draws fresh names from the whole model's set
        Set<String> shared = Subgraphs.names(source);
        this.names = shared != null ? shared : new HashSet<>(source.valueNames());
        if (shared == null && Subgraphs.hasSubgraphs(source.graph())) {
            source.graph().getNodeList().forEach(n -> Subgraphs.of(n).forEach(sg -> Subgraphs.collectNames(sg, names)));
        }
        this.initializers = new LinkedHashMap<>(source.initializers());
    }

    /** A name not used anywhere in the graph yet, based on {@code base}. */
    public String fresh(String base) {
        String b = base.isEmpty() ? "v" : base;
        String n = b;
        int i = 1;
        while (!names.add(n)) {
            n = b + "_" + i++;
        }
        return n;
    }

    public void keep(NodeProto n) {
        nodes.add(n);
    }

    public NodeProto add(String opType, String domain, String name, List<String> inputs, List<String> outputs, AttributeProto... attrs) {
        NodeProto.Builder b = NodeProto.newBuilder().setOpType(opType).setName(fresh(name)).addAllInput(inputs).addAllOutput(outputs);
        if (domain != null && !domain.isEmpty()) {
            b.setDomain(domain);
        }
        for (AttributeProto a : attrs) {
            b.addAttribute(a);
        }
        NodeProto n = b.build();
        nodes.add(n);
        return n;
    }

    public String addInitializer(TensorProto t) {
        String name = fresh(t.getName());
        initializers.put(name, t.toBuilder().setName(name).build());
        return name;
    }

    /** Declares an operator domain the new nodes use, e.g. "com.microsoft" version 1. */
    public void requireOpset(String domain, long version) {
        extraOpsets.merge(domain, version, Math::max);
    }

    /** Removes an initializer, e.g. because a node now produces a value of the same name. */
    public void removeInitializer(String name) {
        initializers.remove(name);
    }

    public static AttributeProto intAttr(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
    }

    /** The new snapshot; initializers that no node uses any more (and that are not graph inputs) are dropped. */
    public ModelSnapshot build(String label) {
        Set<String> used = new HashSet<>();
        for (NodeProto n : nodes) {
            used.addAll(Subgraphs.reads(n));   // a subgraph (at any depth) may read this graph's initializers
        }
        source.graph().getOutputList().forEach(o -> used.add(o.getName()));
        var gb = source.graph().toBuilder().clearNode().addAllNode(nodes).clearInitializer();
        for (TensorProto t : initializers.values()) {
            if (used.contains(t.getName())) {
                gb.addInitializer(t);
            }
        }
        // graph inputs that merely declared a removed initializer go too
        Set<String> kept = new HashSet<>();
        gb.getInitializerList().forEach(t -> kept.add(t.getName()));
        for (int i = gb.getInputCount() - 1; i >= 0; i--) {
            String in = gb.getInput(i).getName();
            if (source.initializers().containsKey(in) && !kept.contains(in)) {
                gb.removeInput(i);
            }
        }
        var mb = source.proto().toBuilder().setGraph(gb);
        extraOpsets.forEach((domain, version) -> {
            for (int i = 0; i < mb.getOpsetImportCount(); i++) {
                if (mb.getOpsetImport(i).getDomain().equals(domain)) {
                    if (mb.getOpsetImport(i).getVersion() < version) {
                        mb.setOpsetImport(i, mb.getOpsetImport(i).toBuilder().setVersion(version));
                    }
                    return;
                }
            }
            mb.addOpsetImport(ai.onnx.proto.OnnxMl.OperatorSetIdProto.newBuilder().setDomain(domain).setVersion(version));
        });
        return source.derive(mb.build(), label);
    }
}
