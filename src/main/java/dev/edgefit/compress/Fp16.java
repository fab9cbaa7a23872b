package dev.edgefit.compress;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.edgefit.common.EdgeFitException;
import dev.edgefit.model.DType;
import dev.edgefit.model.Half;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.Tensors;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * float16 weight storage: every float32 weight initializer is stored as float16 and a Cast node turns it back
 * into float32 as the graph starts, so every CPU runtime runs the model unchanged. The file halves; ONNX Runtime
 * folds the Casts when it loads the model, so memory at run time and the arithmetic stay float32.
 */
public final class Fp16 implements Technique {
    public static final String ID = "fp16";

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String displayName() {
        return "float16 weights";
    }

    @Override
    public String description() {
        return "Stores float32 weights as float16 with a Cast back to float32: half the file size, float32 arithmetic. "
                + "ONNX Runtime folds the Casts at load time, so run-time memory stays float32.";
    }

    @Override
    public List<ParamSpec> params() {
        return List.of(ParamSpec.integer("min-elements", 16, 0, 1 << 30,
                "Leave weights with fewer elements than this in float32 (scalars and tiny vectors gain nothing)."),
                LayerFilter.spec());
    }

    @Override
    public ModelSnapshot apply(ModelSnapshot input, Params params, TechniqueContext ctx) {
        long min = params.getInt("min-elements");
        LayerFilter layers = LayerFilter.of(params);
        java.util.Set<String> selected = new java.util.HashSet<>();
        for (NodeProto n : input.graph().getNodeList()) {
            if (layers.accepts(n)) {
                selected.addAll(n.getInputList());
            }
        }
        GraphBuilder g = new GraphBuilder(input);
        int converted = 0;
        List<TensorProto> inits = List.copyOf(input.initializers().values());
        int i = 0;
        for (TensorProto t : inits) {
            ctx.progress().checkCancelled();
            if ((++i & 15) == 0) {
                ctx.progress().update((double) i / inits.size(), "Converting " + t.getName());
            }
            if (Tensors.dtype(t) != DType.FLOAT || Tensors.elementCount(t) < Math.max(1, min) || !selected.contains(t.getName())) {
                continue;
            }
            float[] v = Tensors.toFloats(t);
            ByteBuffer b = ByteBuffer.allocate(v.length * 2).order(ByteOrder.LITTLE_ENDIAN);
            for (float f : v) {
                b.putShort(Half.fromFloat(f));
            }
            String half = g.addInitializer(Tensors.raw(t.getName() + "_fp16", DType.FLOAT16, Tensors.dims(t), b.array()));
            g.removeInitializer(t.getName());
            g.add("Cast", null, t.getName() + "_to_fp32", List.of(half), List.of(t.getName()),
                    GraphBuilder.intAttr("to", DType.FLOAT.onnxCode()));
            converted++;
        }
        if (converted == 0) {
            throw new EdgeFitException(EdgeFitException.Kind.NOT_APPLICABLE, input.label()
                    + ": no float32 weight with at least " + min + " elements to store as float16.");
        }
        for (NodeProto n : input.graph().getNodeList()) {
            g.keep(n);
        }
        ctx.progress().update(1.0, "Stored " + converted + " weights as float16");
        return g.build(ID);
    }
}
