package dev.edgefit.compress;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.edgefit.common.EdgeFitException;
import dev.edgefit.model.DType;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.Nodes;
import dev.edgefit.model.Tensors;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Layer fusion in standard ONNX, so that every runtime and exporter benefits: BatchNormalization folded into the
 * Conv before it (w' = w * g / sqrt(var + eps) per output channel, b' = (b - mean) * g / sqrt(var + eps) + beta),
 * and Identity/Dropout nodes removed. Runtimes fuse activations themselves (ONNX Runtime's FusedConv is
 * hardware-specific and never shipped).
 */
public final class LayerFusion implements Technique {
    public static final String ID = "fuse";

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String displayName() {
        return "layer fusion";
    }

    @Override
    public String description() {
        return "Folds BatchNormalization into the preceding Conv and removes Identity/Dropout nodes, in standard ONNX. "
                + "Fewer nodes and weights; the same results up to float rounding.";
    }

    @Override
    public List<ParamSpec> params() {
        return List.of(
                ParamSpec.bool("fold-batchnorm", true, "Fold BatchNormalization into the Conv that feeds it."),
                ParamSpec.bool("remove-identity", true, "Remove Identity and Dropout nodes (inference does nothing with them)."));
    }

    @Override
    public ModelSnapshot apply(ModelSnapshot input, Params params, TechniqueContext ctx) {
        try {
            ModelSnapshot out = Subgraphs.rewrite(input, ID, true, ctx.progress(), (scope, p) -> applyGraph(scope, params, ctx.withProgress(p)));
            QuantizedParts.of(input).record(ctx);   // fusion touches only float Conv/BatchNormalization and no-op nodes
            return out;
        } catch (EdgeFitException e) {
            if (e.kind() == EdgeFitException.Kind.NOT_APPLICABLE) {
                throw new EdgeFitException(e.kind(), input.label()
                        + ": nothing to fuse: no BatchNormalization directly after a Conv and no Identity/Dropout node.");
            }
            throw e;
        }
    }

    /** Fuses in one graph (the main graph or a subgraph); NOT_APPLICABLE when it has nothing to fuse. */
    private static ModelSnapshot applyGraph(ModelSnapshot input, Params params, TechniqueContext ctx) {
        boolean foldBn = params.getBool("fold-batchnorm");
        boolean dropIdentity = params.getBool("remove-identity");
        Map<String, TensorProto> inits = input.initializers();
        Map<String, List<NodeProto>> consumers = input.consumers();
        Set<String> graphOutputs = new HashSet<>();
        input.graph().getOutputList().forEach(o -> graphOutputs.add(o.getName()));
        Map<String, String> rename = new HashMap<>();           // value -> replacement value
        // values read inside subgraphs keep their names: a branch reads them from this graph by name
        Set<String> readInside = new HashSet<>();
        for (NodeProto n : input.graph().getNodeList()) {
            if (!Subgraphs.of(n).isEmpty()) {
                readInside.addAll(Subgraphs.reads(n));
            }
        }
        GraphBuilder g = new GraphBuilder(input);
        int folded = 0;
        int removed = 0;
        List<NodeProto> nodes = input.graph().getNodeList();
        Set<NodeProto> skip = new HashSet<>();
        Map<NodeProto, NodeProto> replacement = new HashMap<>();
        for (NodeProto n : nodes) {
            ctx.progress().checkCancelled();
            if (!foldBn || !n.getOpType().equals("Conv") || n.getInputCount() < 2 || !inits.containsKey(n.getInput(1))) {
                continue;
            }
            List<NodeProto> users = consumers.getOrDefault(n.getOutput(0), List.of());
            if (users.size() != 1 || !users.get(0).getOpType().equals("BatchNormalization") || graphOutputs.contains(n.getOutput(0))
                    || readInside.contains(n.getOutput(0))) {
                continue;
            }
            NodeProto bn = users.get(0);
            if (bn.getOutputCount() > 1 && bn.getOutputList().subList(1, bn.getOutputCount()).stream().anyMatch(o -> !o.isEmpty())) {
                continue;
            }
            TensorProto w = inits.get(n.getInput(1));
            TensorProto b = n.getInputCount() > 2 && !n.getInput(2).isEmpty() ? inits.get(n.getInput(2)) : null;
            TensorProto gamma = inits.get(bn.getInput(1));
            TensorProto beta = inits.get(bn.getInput(2));
            TensorProto mean = inits.get(bn.getInput(3));
            TensorProto var = inits.get(bn.getInput(4));
            if (gamma == null || beta == null || mean == null || var == null || Tensors.dtype(w) != DType.FLOAT
                    || (n.getInputCount() > 2 && !n.getInput(2).isEmpty() && b == null)) {
                continue;
            }
            float eps = Nodes.floatAttr(bn, "epsilon", 1e-5f);
            float[] wv = Tensors.toFloats(w);
            float[] gv = Tensors.toFloats(gamma);
            float[] bev = Tensors.toFloats(beta);
            float[] mv = Tensors.toFloats(mean);
            float[] vv = Tensors.toFloats(var);
            int cout = (int) w.getDims(0);
            int per = wv.length / cout;
            float[] nw = new float[wv.length];
            float[] nb = new float[cout];
            float[] bv = b == null ? new float[cout] : Tensors.toFloats(b);
            for (int c = 0; c < cout; c++) {
                double f = gv[c] / Math.sqrt((double) vv[c] + eps);
                for (int i = 0; i < per; i++) {
                    nw[c * per + i] = (float) (wv[c * per + i] * f);
                }
                nb[c] = (float) ((bv[c] - mv[c]) * f + bev[c]);
            }
            String wn = g.addInitializer(Tensors.floats(w.getName() + "_bnfold", Tensors.dims(w), nw));
            String bnName = g.addInitializer(Tensors.floats(n.getName() + "_bias_bnfold", new long[] {cout}, nb));
            NodeProto conv = n.toBuilder().clearInput().addInput(n.getInput(0)).addInput(wn).addInput(bnName)
                    .setOutput(0, bn.getOutput(0)).build();
            replacement.put(n, conv);
            skip.add(bn);
            folded++;
        }
        for (NodeProto n : nodes) {
            if (dropIdentity && (n.getOpType().equals("Identity") || n.getOpType().equals("Dropout"))
                    && !graphOutputs.contains(n.getOutput(0)) && !readInside.contains(n.getOutput(0))
                    && (n.getOutputCount() == 1 || n.getOutput(1).isEmpty())) {
                rename.put(n.getOutput(0), n.getInput(0));
                skip.add(n);
                removed++;
            }
        }
        if (folded == 0 && removed == 0) {
            throw new EdgeFitException(EdgeFitException.Kind.NOT_APPLICABLE, input.label()
                    + ": nothing to fuse: no BatchNormalization directly after a Conv and no Identity/Dropout node.");
        }
        for (NodeProto n : nodes) {
            if (skip.contains(n)) {
                continue;
            }
            NodeProto out = replacement.getOrDefault(n, n);
            if (!rename.isEmpty()) {
                NodeProto.Builder nb = out.toBuilder();
                for (int i = 0; i < nb.getInputCount(); i++) {
                    String v = nb.getInput(i);
                    while (rename.containsKey(v)) {
                        v = rename.get(v);
                    }
                    nb.setInput(i, v);
                }
                out = nb.build();
            }
            g.keep(out);
        }
        ctx.progress().update(1.0, "Folded " + folded + " BatchNormalization, removed " + removed + " no-op nodes");
        return g.build(ID);
    }
}
