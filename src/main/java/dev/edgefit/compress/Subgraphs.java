package dev.edgefit.compress;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import dev.edgefit.common.EdgeFitException;
import dev.edgefit.common.Progress;
import dev.edgefit.model.ModelSnapshot;

import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;

/**
 * Runs a graph-rewriting technique on the main graph and on every subgraph (the branches of If, the bodies of Loop and
 * Scan, nested to any depth), so that models that keep their weights inside subgraphs (Silero VAD keeps everything in
 * the branches of an If on the sample rate) are compressed too.
 *
 * <p>Each graph is handed to the technique as a snapshot of its own (the model with that graph as its main graph),
 * innermost graphs first; the rewritten graph goes back into its node's attribute. Fresh names are drawn from one set
 * for the whole model, so a name made in a branch never clashes with one in another graph. With {@code outerWeights},
 * a subgraph's snapshot also shows the enclosing graphs' initializers that its nodes read (weights often live in the
 * main graph and are read from a branch); a technique that replaces such a weight writes its new tensors into the
 * subgraph, the shown copies are taken out again, and initializers that nothing reads any more are dropped at the end.
 */
final class Subgraphs {
    /** Fresh-name sets of the snapshots that stand for one graph of a larger model (read by {@link GraphBuilder}). */
    private static final Map<ModelSnapshot, Set<String>> NAMES = Collections.synchronizedMap(new WeakHashMap<>());

    private Subgraphs() {
    }

    /** A technique's rewriting of one graph; throws NOT_APPLICABLE when that graph has nothing for it. */
    interface PerGraph {
        ModelSnapshot apply(ModelSnapshot graph, Progress progress);
    }

    /** The names already taken in the whole model when {@code scope} stands for one of its graphs; null otherwise. */
    static Set<String> names(ModelSnapshot scope) {
        return NAMES.get(scope);
    }

    static boolean hasSubgraphs(GraphProto g) {
        for (NodeProto n : g.getNodeList()) {
            for (AttributeProto a : n.getAttributeList()) {
                if (a.hasG() || a.getGraphsCount() > 0) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Graphs held by a node's attributes. */
    static List<GraphProto> of(NodeProto n) {
        List<GraphProto> out = new java.util.ArrayList<>();
        for (AttributeProto a : n.getAttributeList()) {
            if (a.hasG()) {
                out.add(a.getG());
            }
            out.addAll(a.getGraphsList());
        }
        return out;
    }

    /** Every name a node reads, including the names its subgraphs read from enclosing graphs (over-approximated). */
    static Set<String> reads(NodeProto n) {
        Set<String> s = new HashSet<>();
        collectReads(n, s);
        s.remove("");
        return s;
    }

    private static void collectReads(NodeProto n, Set<String> s) {
        s.addAll(n.getInputList());
        for (GraphProto g : of(n)) {
            for (NodeProto sub : g.getNodeList()) {
                collectReads(sub, s);
            }
            g.getOutputList().forEach(o -> s.add(o.getName()));
        }
    }

    /** Applies {@code fn} to every graph of {@code input}; refuses (with the main graph's reason) when none changed. */
    static ModelSnapshot rewrite(ModelSnapshot input, String label, boolean outerWeights, Progress progress, PerGraph fn) {
        if (!hasSubgraphs(input.graph())) {
            return fn.apply(input, progress);
        }
        Run run = new Run(input, outerWeights, progress, fn, count(input.graph()));
        collectNames(input.graph(), run.names);
        GraphProto g = run.graph(input.graph(), Map.of(), true);
        if (run.changed == 0) {
            throw run.mainRefusal != null ? run.mainRefusal : new EdgeFitException(EdgeFitException.Kind.NOT_APPLICABLE,
                    input.label() + ": nothing to change in any graph.");
        }
        ModelProto.Builder mb = input.proto().toBuilder().setGraph(dropUnused(g)).clearOpsetImport();
        run.opsets.forEach((d, v) -> mb.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain(d).setVersion(v)));
        return input.derive(mb.build(), label);
    }

    private static int count(GraphProto g) {
        int c = 1;
        for (NodeProto n : g.getNodeList()) {
            for (GraphProto sg : of(n)) {
                c += count(sg);
            }
        }
        return c;
    }

    static void collectNames(GraphProto g, Set<String> names) {
        g.getInitializerList().forEach(t -> names.add(t.getName()));
        g.getInputList().forEach(v -> names.add(v.getName()));
        g.getOutputList().forEach(v -> names.add(v.getName()));
        for (NodeProto n : g.getNodeList()) {
            names.addAll(n.getOutputList());
            names.add(n.getName());
            of(n).forEach(sg -> collectNames(sg, names));
        }
    }

    private static final class Run {
        final ModelSnapshot model;
        final boolean outerWeights;
        final Progress progress;
        final PerGraph fn;
        final int total;
        final Set<String> names = Collections.synchronizedSet(new HashSet<>());
        final Map<String, Long> opsets = new LinkedHashMap<>();
        int done;
        int changed;
        EdgeFitException mainRefusal;

        Run(ModelSnapshot model, boolean outerWeights, Progress progress, PerGraph fn, int total) {
            this.model = model;
            this.outerWeights = outerWeights;
            this.progress = progress;
            this.fn = fn;
            this.total = total;
            model.proto().getOpsetImportList().forEach(o -> opsets.put(o.getDomain(), o.getVersion()));
        }

        GraphProto graph(GraphProto g, Map<String, TensorProto> outer, boolean main) {
            Map<String, TensorProto> visible = new HashMap<>(outer);
            g.getInitializerList().forEach(t -> visible.put(t.getName(), t));
            GraphProto.Builder gb = g.toBuilder();
            eachSubgraph(gb, sub -> graph(sub, visible, false));
            GraphProto withKids = gb.build();
            // the enclosing graphs' initializers that this graph's own nodes read, shown to the technique
            Map<String, TensorProto> shown = new LinkedHashMap<>();
            if (!main && outerWeights) {
                Set<String> own = new HashSet<>();
                withKids.getInitializerList().forEach(t -> own.add(t.getName()));
                withKids.getNodeList().forEach(n -> n.getInputList().forEach(x -> {
                    if (outer.containsKey(x) && !own.contains(x)) {
                        shown.put(x, outer.get(x));
                    }
                }));
            }
            GraphProto scopeGraph = shown.isEmpty() ? withKids : withKids.toBuilder().addAllInitializer(shown.values()).build();
            ModelSnapshot scope = model.derive(model.proto().toBuilder().setGraph(scopeGraph).build(), model.label());
            NAMES.put(scope, names);
            Progress p = progress.slice((double) done / total, (double) (done + 1) / total);
            done++;
            try {
                ModelSnapshot out = fn.apply(scope, p);
                changed++;
                out.proto().getOpsetImportList().forEach(o -> opsets.merge(o.getDomain(), o.getVersion(), Math::max));
                GraphProto.Builder r = out.graph().toBuilder();
                for (int i = r.getInitializerCount() - 1; i >= 0; i--) {
                    TensorProto t = r.getInitializer(i);
                    TensorProto was = shown.get(t.getName());
                    if (was != null && (was == t || was.equals(t))) {
                        r.removeInitializer(i);
                    }
                }
                return r.build();
            } catch (EdgeFitException e) {
                if (e.kind() != EdgeFitException.Kind.NOT_APPLICABLE) {
                    throw e;
                }
                if (main) {
                    mainRefusal = e;
                }
                return withKids;
            } finally {
                NAMES.remove(scope);
            }
        }
    }

    /** Replaces every subgraph held by a node of {@code gb} (an If's branches, a Loop's or Scan's body) by {@code f} of it. */
    static void eachSubgraph(GraphProto.Builder gb, java.util.function.UnaryOperator<GraphProto> f) {
        for (int i = 0; i < gb.getNodeCount(); i++) {
            NodeProto n = gb.getNode(i);
            if (of(n).isEmpty()) {
                continue;
            }
            NodeProto.Builder nb = n.toBuilder();
            for (int a = 0; a < nb.getAttributeCount(); a++) {
                AttributeProto at = nb.getAttribute(a);
                AttributeProto.Builder ab = at.toBuilder();
                if (at.hasG()) {
                    ab.setG(f.apply(at.getG()));
                }
                for (int k = 0; k < at.getGraphsCount(); k++) {
                    ab.setGraphs(k, f.apply(at.getGraphs(k)));
                }
                nb.setAttribute(a, ab);
            }
            gb.setNode(i, nb);
        }
    }

    /** Drops initializers (and the graph inputs that declared them) that no node of their graph or its subgraphs reads. */
    static GraphProto dropUnused(GraphProto g) {
        GraphProto.Builder gb = g.toBuilder();
        eachSubgraph(gb, Subgraphs::dropUnused);
        Set<String> used = new HashSet<>();
        gb.getNodeList().forEach(n -> used.addAll(reads(n)));
        gb.getOutputList().forEach(o -> used.add(o.getName()));
        Set<String> dropped = new HashSet<>();
        for (int i = gb.getInitializerCount() - 1; i >= 0; i--) {
            if (!used.contains(gb.getInitializer(i).getName())) {
                dropped.add(gb.getInitializer(i).getName());
                gb.removeInitializer(i);
            }
        }
        for (int i = gb.getInputCount() - 1; i >= 0; i--) {
            ValueInfoProto v = gb.getInput(i);
            if (dropped.contains(v.getName())) {
                gb.removeInput(i);
            }
        }
        return gb.build();
    }
}
