package dev.edgefit.runtime;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import dev.edgefit.model.DType;
import dev.edgefit.model.ModelSnapshot;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Finds the concrete shape of every value in a graph by running it once in ONNX Runtime with every
 * node output exposed as a graph output. Shapes are measured, not inferred by hand.
 *
 * <p>Values inside an {@code If} branch are not graph values, so they cannot be exposed as they are: once a run
 * has given an {@code If}'s condition, the branch it takes is inlined in a copy of the graph (its initializers and
 * nodes in place of the {@code If}, Identity nodes giving the {@code If}'s outputs) and the copy runs again, until
 * no {@code If} with a known condition is left (nested branches take one more run each). The copy computes exactly
 * what the model computes for these inputs. {@code Loop} and {@code Scan} bodies are not measured.
 */
public final class ShapeProbe {
    private static final int MAX_INLINE_ROUNDS = 16;

    private ShapeProbe() {
    }

    public static Map<String, long[]> probe(ModelSnapshot model, Map<String, Tensor> inputs) {
        Map<String, long[]> shapes = new HashMap<>();
        inputs.forEach((k, v) -> shapes.put(k, v.shape()));
        ModelSnapshot g = model;
        for (int round = 0; round <= MAX_INLINE_ROUNDS; round++) {
            g.initializers().forEach((k, v) -> shapes.putIfAbsent(k, v.getDimsList().stream().mapToLong(Long::longValue).toArray()));
            Set<String> all = new HashSet<>();
            for (NodeProto n : g.graph().getNodeList()) {
                all.addAll(n.getOutputList());
            }
            all.remove("");
            Map<String, Tensor> values;
            try (OrtRunner r = OrtRunner.inMemory(exposing(g, all), new RunnerOptions(0, RunnerOptions.OptLevel.NONE))) {
                values = r.run(inputs);
            } catch (RuntimeException e) {
                if (round == 0) {
                    throw e;
                }
                break;      // the model itself ran: keep its shapes, the branches stay unmeasured (their MACs null)
            }
            values.forEach((k, v) -> shapes.put(k, v.shape()));
            ModelSnapshot next = inlineTakenBranches(g, values);
            if (next == g) {
                break;
            }
            g = next;
        }
        return shapes;
    }

    /**
     * A copy of the graph in which every {@code If} whose condition is among {@code values} is replaced by the branch
     * it takes; the same snapshot when there is none. An {@code If} whose branch would reuse a name already in the
     * graph is left as it is.
     */
    static ModelSnapshot inlineTakenBranches(ModelSnapshot model, Map<String, Tensor> values) {
        GraphProto g = model.graph();
        Set<String> names = new HashSet<>(model.valueNames());
        List<NodeProto> nodes = new ArrayList<>();
        List<TensorProto> inits = new ArrayList<>();
        boolean changed = false;
        for (NodeProto n : g.getNodeList()) {
            Tensor cond = n.getOpType().equals("If") && n.getInputCount() == 1 ? values.get(n.getInput(0)) : null;
            GraphProto branch = cond == null || cond.size() != 1 ? null
                    : branch(n, cond.floats()[0] != 0 ? "then_branch" : "else_branch");
            if (branch == null || branch.getOutputCount() != n.getOutputCount() || !fresh(branch, names)) {
                nodes.add(n);
                continue;
            }
            inits.addAll(branch.getInitializerList());
            nodes.addAll(branch.getNodeList());
            for (int i = 0; i < n.getOutputCount(); i++) {
                if (!n.getOutput(i).isEmpty()) {
                    nodes.add(NodeProto.newBuilder().setOpType("Identity").setName(n.getName() + "/inlined_out_" + i)
                            .addInput(branch.getOutput(i).getName()).addOutput(n.getOutput(i)).build());
                }
            }
            changed = true;
        }
        if (!changed) {
            return model;
        }
        GraphProto.Builder gb = g.toBuilder().clearNode().addAllNode(nodes).addAllInitializer(inits);
        return model.derive(model.proto().toBuilder().setGraph(gb).build(), model.label());
    }

    private static GraphProto branch(NodeProto n, String name) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals(name) && a.hasG()) {
                return a.getG();
            }
        }
        return null;
    }

    /** Whether the branch's values and initializers take no name the graph already has (they are then reserved). */
    private static boolean fresh(GraphProto branch, Set<String> names) {
        Set<String> mine = new HashSet<>();
        branch.getInitializerList().forEach(t -> mine.add(t.getName()));
        for (NodeProto n : branch.getNodeList()) {
            n.getOutputList().stream().filter(o -> !o.isEmpty()).forEach(mine::add);
        }
        for (String s : mine) {
            if (names.contains(s)) {
                return false;
            }
        }
        names.addAll(mine);
        return true;
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
