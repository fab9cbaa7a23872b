package dev.edgefit.compress;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.edgefit.common.EdgeFitException;
import dev.edgefit.model.DType;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.Nodes;
import dev.edgefit.model.OpsetUpgrader;
import dev.edgefit.model.Tensors;

import java.util.List;

/**
 * Binary weights: w = sign(w) x alpha, with alpha = mean |w| per output channel (XNOR-Net's scaling). The file
 * stores one bit per weight (packed eight to a byte) and two floats per channel; a small subgraph in the model
 * (BitShift, Mod, Cast, Mul, Sub) unpacks the bits to float32. Whether ONNX Runtime folds that subgraph once at load
 * time or runs it at every inference, the weights it multiplies with are float32 and so is the arithmetic: there is
 * no speed or memory gain, and the unpacking can make inference slower. Only the binarized weights shrink (about 1/32
 * of their float size plus the scales); embeddings (Gather), biases, small weights and by default the first and last
 * layers stay float, so how much smaller the whole file gets depends on the model and is what the step measures.
 */
public final class BinaryWeights implements Technique {
    public static final String ID = "binary";

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String displayName() {
        return "binary weights";
    }

    @Override
    public String description() {
        return "Stores Conv/MatMul/Gemm weights as packed sign bits (8 per byte) with a float scale per output channel; a subgraph"
                + " in the model unpacks them to float32 at load or run time, so arithmetic and memory stay float32 and inference"
                + " can be slower. Only the binarized weights shrink (embeddings, biases and the first and last layers stay float):"
                + " the file size is measured, not promised. Expect a large accuracy drop.";
    }

    @Override
    public List<ParamSpec> params() {
        return List.of(
                ParamSpec.integer("min-elements", 1024, 0, 1 << 30, "Leave weights with fewer elements than this in float."),
                ParamSpec.bool("keep-first-and-last", true, "Keep the first and the last weighted layer in float (they are the most sensitive)."));
    }

    @Override
    public ModelSnapshot apply(ModelSnapshot source, Params params, TechniqueContext ctx) {
        ModelSnapshot input = OpsetUpgrader.upgrade(source, 11);
        if (input.opset() < 11) {
            throw new EdgeFitException(EdgeFitException.Kind.NOT_APPLICABLE, input.label()
                    + ": binary weights need opset 11 or later (BitShift); this model declares opset " + input.opset() + ".");
        }
        QuantizedParts parts = QuantizedParts.of(input);
        long min = params.getInt("min-elements");
        boolean keepEnds = params.getBool("keep-first-and-last");
        List<NodeProto> weighted = input.graph().getNodeList().stream().filter(n -> weight(input, n, min) != null).toList();
        if (keepEnds) {
            weighted = weighted.size() <= 2 ? List.of() : weighted.subList(1, weighted.size() - 1);
        }
        if (weighted.isEmpty() && parts.any() && input.graph().getNodeList().stream().noneMatch(n -> weight(input, n, 1) != null)) {
            throw parts.refusal(input, ID, "Conv/MatMul/Gemm nodes with a float weight");
        }
        if (weighted.isEmpty()) {
            throw new EdgeFitException(EdgeFitException.Kind.NOT_APPLICABLE, input.label()
                    + ": no Conv/MatMul/Gemm weight with at least " + min + " elements to binarize"
                    + (keepEnds ? " besides the first and last layers" : "")
                    + (input.graph().getNodeList().stream().anyMatch(nd -> !Subgraphs.of(nd).isEmpty())
                    ? " in the main graph; binary weights do not reach layers inside If/Loop/Scan subgraphs (fp16, int8-dynamic and int4 do)."
                    : "."));
        }
        GraphBuilder g = new GraphBuilder(input);
        String shifts = g.addInitializer(Tensors.uint8("binary_shifts", new long[] {8}, new byte[] {0, 1, 2, 3, 4, 5, 6, 7}));
        String two = g.addInitializer(Tensors.uint8("binary_two", new long[0], new byte[] {2}));
        java.util.Set<String> done = new java.util.HashSet<>();
        int i = 0;
        for (NodeProto n : weighted) {
            ctx.progress().checkCancelled();
            ctx.progress().update((double) i++ / weighted.size(), "Binarizing " + n.getName());
            TensorProto w = weight(input, n, min);
            if (!done.add(w.getName())) {
                continue;
            }
            int axis = n.getOpType().equals("MatMul") || (n.getOpType().equals("Gemm") && Nodes.intAttr(n, "transB", 0) == 0) ? 1 : 0;
            emitUnpack(g, w, axis, shifts, two);
        }
        for (NodeProto n : input.graph().getNodeList()) {
            g.keep(n);
        }
        parts.record(ctx);
        ctx.progress().update(1.0, "Binarized " + done.size() + " weights");
        return g.build(ID);
    }

    private static TensorProto weight(ModelSnapshot m, NodeProto n, long min) {
        if (!(n.getOpType().equals("Conv") || n.getOpType().equals("MatMul") || n.getOpType().equals("Gemm")) || n.getInputCount() < 2) {
            return null;
        }
        TensorProto w = m.initializers().get(n.getInput(1));
        if (w == null || Tensors.dtype(w) != DType.FLOAT || w.getDimsCount() < 2 || Tensors.elementCount(w) < Math.max(8, min)) {
            return null;
        }
        return w;
    }

    /** Replaces initializer w by packed sign bits and per-channel scales, unpacked by nodes placed first in the graph. */
    private static void emitUnpack(GraphBuilder g, TensorProto w, int axis, String shifts, String two) {
        float[] v = Tensors.toFloats(w);
        long[] dims = Tensors.dims(w);
        int channels = (int) dims[axis];
        int inner = 1;
        for (int d = axis + 1; d < dims.length; d++) {
            inner *= (int) dims[d];
        }
        float[] alpha = alphas(v, dims, axis);
        float[] twoAlpha = new float[channels];
        for (int c = 0; c < channels; c++) {
            twoAlpha[c] = 2 * alpha[c];
        }
        int bytes = (v.length + 7) / 8;
        byte[] packed = new byte[bytes];
        for (int i = 0; i < v.length; i++) {
            if (v[i] >= 0) {
                packed[i >> 3] |= (byte) (1 << (i & 7));
            }
        }
        // scale shape broadcasts along the channel axis: [C, 1, 1, ...] for axis 0, [C] for the last axis
        long[] scaleDims = new long[dims.length - axis];
        java.util.Arrays.fill(scaleDims, 1);
        scaleDims[0] = channels;
        String name = w.getName();
        String bitsName = g.addInitializer(Tensors.uint8(name + "_bits", new long[] {bytes, 1}, packed));
        String a = g.addInitializer(Tensors.floats(name + "_alpha", scaleDims, alpha));
        String a2 = g.addInitializer(Tensors.floats(name + "_two_alpha", scaleDims, twoAlpha));
        String endName = g.addInitializer(Tensors.int64(name + "_count", new long[] {1}, new long[] {v.length}));
        String zero = g.addInitializer(Tensors.int64(name + "_zero", new long[] {1}, new long[] {0}));
        String flat = g.addInitializer(Tensors.int64(name + "_flat", new long[] {1}, new long[] {-1}));
        String shape = g.addInitializer(Tensors.int64(name + "_shape", new long[] {dims.length}, dims));
        String shifted = g.fresh(name + "_shifted");
        String bits = g.fresh(name + "_bit");
        String flatBits = g.fresh(name + "_flat_bits");
        String sliced = g.fresh(name + "_sliced");
        String shaped = g.fresh(name + "_shaped");
        String asFloat = g.fresh(name + "_float");
        String scaled = g.fresh(name + "_scaled");
        g.removeInitializer(name);
        g.add("BitShift", null, name + "_unpack_shift", List.of(bitsName, shifts), List.of(shifted),
                ai.onnx.proto.OnnxMl.AttributeProto.newBuilder().setName("direction")
                        .setType(ai.onnx.proto.OnnxMl.AttributeProto.AttributeType.STRING)
                        .setS(com.google.protobuf.ByteString.copyFromUtf8("RIGHT")).build());
        g.add("Mod", null, name + "_unpack_bit", List.of(shifted, two), List.of(bits));
        g.add("Reshape", null, name + "_unpack_flat", List.of(bits, flat), List.of(flatBits));
        g.add("Slice", null, name + "_unpack_slice", List.of(flatBits, zero, endName), List.of(sliced));
        g.add("Reshape", null, name + "_unpack_shape", List.of(sliced, shape), List.of(shaped));
        g.add("Cast", null, name + "_unpack_cast", List.of(shaped), List.of(asFloat), GraphBuilder.intAttr("to", DType.FLOAT.onnxCode()));
        g.add("Mul", null, name + "_unpack_scale", List.of(asFloat, a2), List.of(scaled));
        g.add("Sub", null, name + "_unpack_center", List.of(scaled, a), List.of(name));
    }

    /** Mean |w| per channel along {@code axis}. */
    static float[] alphas(float[] v, long[] dims, int axis) {
        int channels = (int) dims[axis];
        int inner = 1;
        for (int d = axis + 1; d < dims.length; d++) {
            inner *= (int) dims[d];
        }
        double[] sum = new double[channels];
        int[] count = new int[channels];
        for (int i = 0; i < v.length; i++) {
            int c = (i / inner) % channels;
            sum[c] += Math.abs(v[i]);
            count[c]++;
        }
        float[] alpha = new float[channels];
        for (int c = 0; c < channels; c++) {
            alpha[c] = count[c] == 0 ? 0 : (float) (sum[c] / count[c]);
        }
        return alpha;
    }

    /** The float weight that the stored bits and scales stand for (the reference the tests compare with). */
    static float[] reference(float[] v, long[] dims, int axis) {
        float[] alpha = alphas(v, dims, axis);
        int inner = 1;
        for (int d = axis + 1; d < dims.length; d++) {
            inner *= (int) dims[d];
        }
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            float a = alpha[(i / inner) % alpha.length];
            out[i] = v[i] >= 0 ? a : -a;
        }
        return out;
    }
}
