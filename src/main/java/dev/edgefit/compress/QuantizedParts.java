package dev.edgefit.compress;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.edgefit.common.EdgeFitException;
import dev.edgefit.model.DType;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.Nodes;
import dev.edgefit.model.Tensors;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The parts of a model that are already quantized, found once for every technique: quantization operators
 * (QuantizeLinear/DequantizeLinear, DynamicQuantizeLinear, MatMulInteger/ConvInteger, QLinear*, com.microsoft
 * MatMulNBits and its kin) and the float arithmetic around them that rescales integer results (ONNX Runtime's
 * dynamic quantizer multiplies the activation scale by the weight scale, casts the int32 product to float and
 * multiplies). Techniques leave these nodes, their quantized weights, scales and zero points as they are and work on
 * what is still float; a technique with nothing left to change refuses with {@link #refusal}.
 */
public final class QuantizedParts {
    /** Operators that hold quantized values, scales or zero points, or compute in integers. */
    static final Set<String> QUANTIZED_OPS = Set.of("QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "MatMulInteger",
            "ConvInteger", "MatMulNBits", "DynamicQuantizeMatMul", "MatMulIntegerToFloat", "QGemm", "QAttention",
            "DynamicQuantizeLSTM", "QOrderedMatMul", "MatMulBnb4", "GatherBlockQuantized");

    private final Map<String, Integer> ops;
    private final Set<String> tensors;
    private final Set<NodeProto> nodes;
    private final Set<String> precisions;

    private QuantizedParts(Map<String, Integer> ops, Set<String> tensors, Set<NodeProto> nodes, Set<String> precisions) {
        this.ops = ops;
        this.tensors = tensors;
        this.nodes = nodes;
        this.precisions = precisions;
    }

    static boolean quantizedOp(NodeProto n) {
        return QUANTIZED_OPS.contains(n.getOpType()) || n.getOpType().startsWith("QLinear");
    }

    /** The quantized parts of {@code m}, in its main graph and every subgraph. */
    public static QuantizedParts of(ModelSnapshot m) {
        Map<String, Integer> ops = new LinkedHashMap<>();
        Set<String> tensors = new HashSet<>();
        Set<NodeProto> nodes = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        Set<String> precisions = new TreeSet<>();
        scan(m.graph(), new HashMap<>(), ops, tensors, nodes, precisions);
        return new QuantizedParts(ops, tensors, nodes, precisions);
    }

    private static void scan(GraphProto g, Map<String, TensorProto> outer, Map<String, Integer> ops, Set<String> tensors,
                             Set<NodeProto> nodes, Set<String> precisions) {
        Map<String, TensorProto> inits = new HashMap<>(outer);
        g.getInitializerList().forEach(t -> inits.put(t.getName(), t));
        // values that carry a scale (DynamicQuantizeLinear's, or a product of scales) and raw integer accumulators
        Set<String> scales = new HashSet<>();
        Set<String> accumulators = new HashSet<>();
        // values that a DequantizeLinear reads: quantized data, e.g. the rows an int8 embedding table's Gather picks
        Set<String> dequantized = new HashSet<>();
        g.getNodeList().stream().filter(n -> n.getOpType().equals("DequantizeLinear")).forEach(n -> dequantized.add(n.getInput(0)));
        for (NodeProto n : g.getNodeList()) {
            String op = n.getOpType();
            if (!quantizedOp(n) && n.getOutputList().stream().anyMatch(dequantized::contains)) {
                nodes.add(n);
                n.getInputList().stream().filter(inits::containsKey).forEach(tensors::add);
            } else if (quantizedOp(n)) {
                ops.merge(op, 1, Integer::sum);
                nodes.add(n);
                n.getInputList().stream().filter(inits::containsKey).forEach(tensors::add);
                precisions.add(precision(n, inits));
                if (op.equals("DynamicQuantizeLinear")) {
                    for (int i = 1; i < n.getOutputCount(); i++) {
                        scales.add(n.getOutput(i));
                    }
                } else if (op.equals("MatMulInteger") || op.equals("ConvInteger")) {
                    accumulators.add(n.getOutput(0));
                }
            } else if (op.equals("Cast") && n.getInputCount() == 1 && accumulators.contains(n.getInput(0))) {
                nodes.add(n);
                accumulators.add(n.getOutput(0));
            } else if (op.equals("Mul") && n.getInputList().stream().anyMatch(x -> scales.contains(x) || accumulators.contains(x))) {
                nodes.add(n);
                n.getInputList().stream().filter(inits::containsKey).forEach(tensors::add);
                boolean rescales = n.getInputList().stream().anyMatch(accumulators::contains);
                if (!rescales) {
                    scales.add(n.getOutput(0));   // activation scale x weight scale
                }
            }
            for (var a : n.getAttributeList()) {
                if (a.hasG()) {
                    scan(a.getG(), inits, ops, tensors, nodes, precisions);
                }
                for (GraphProto sg : a.getGraphsList()) {
                    scan(sg, inits, ops, tensors, nodes, precisions);
                }
            }
        }
    }

    private static String precision(NodeProto n, Map<String, TensorProto> inits) {
        if (n.getOpType().equals("MatMulNBits") || n.getOpType().equals("GatherBlockQuantized")) {
            return "int" + Nodes.intAttr(n, "bits", 4);
        }
        if (n.getOpType().equals("MatMulBnb4")) {
            return "int4";
        }
        if (n.getOpType().equals("QuantizeLinear") || n.getOpType().equals("DequantizeLinear")) {
            TensorProto zp = n.getInputCount() > 2 ? inits.get(n.getInput(2)) : null;
            TensorProto x = inits.get(n.getInput(0));
            TensorProto typed = zp != null ? zp : n.getOpType().equals("DequantizeLinear") ? x : null;
            if (typed != null) {
                DType d = Tensors.dtype(typed);
                return switch (d) {
                    case INT32 -> "int32";
                    case INT16, UINT16 -> "int16";
                    case INT4, UINT4 -> "int4";
                    default -> d.name().startsWith("FLOAT8") ? "float8" : "int8";
                };
            }
        }
        return "int8";
    }

    /** Whether the model holds any quantized operator. */
    public boolean any() {
        return !ops.isEmpty();
    }

    /** Initializers that are quantized weights, scales or zero points: techniques never change them. */
    public boolean isProtected(String tensor) {
        return tensors.contains(tensor);
    }

    /** Nodes that quantize, compute in integers or rescale integer results: they stay as they are. */
    public boolean isQuantizationNode(NodeProto n) {
        return nodes.contains(n);
    }

    /** Quantized operator types and how many of each. */
    public Map<String, Integer> ops() {
        return ops;
    }

    /** Number of initializers (quantized weights, scales, zero points) that techniques leave alone. */
    public int protectedTensors() {
        return tensors.size();
    }

    /** "already int8: 36 MatMulInteger, 24 DynamicQuantizeLinear and 3 DequantizeLinear nodes". */
    public String describe() {
        List<String> parts = new ArrayList<>();
        ops.forEach((op, count) -> parts.add(count + " " + op));
        String list = parts.size() == 1 ? parts.get(0)
                : String.join(", ", parts.subList(0, parts.size() - 1)) + " and " + parts.get(parts.size() - 1);
        Set<String> ps = new TreeSet<>(precisions);
        ps.remove("int32");   // int32 biases go with int8 weights
        if (ps.isEmpty()) {
            ps.add("int8");
        }
        return "already " + String.join(" and ", ps) + ": " + list + " node" + (ops.values().stream().mapToInt(i -> i).sum() == 1 ? "" : "s");
    }

    /** One sentence for a technique's step: what it left as it was. */
    public String leftAsItWas() {
        return "Left the model's quantized parts as they were (" + describe() + ", with " + tensors.size()
                + " quantized weights, scales and zero points).";
    }

    /** Details for the step: the quantized operators and a summary sentence. */
    public Map<String, Object> details() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("quantizedOps", ops);
        d.put("protectedTensors", tensors.size());
        d.put("summary", leftAsItWas());
        return d;
    }

    /** Records in the step's details what was left alone, when the model had quantized parts. */
    void record(TechniqueContext ctx) {
        if (any()) {
            ctx.details().put("alreadyQuantized", details());
        }
    }

    /**
     * The refusal of a technique that found nothing still float to change in an already-quantized model, e.g.
     * "model.onnx: already int8: 36 MatMulInteger ... nodes; int4 changes MatMul/Gemm nodes with a float weight, and none is
     * left in float."
     */
    EdgeFitException refusal(ModelSnapshot m, String techniqueId, String changes) {
        return new EdgeFitException(EdgeFitException.Kind.NOT_APPLICABLE, m.label() + ": " + describe() + "; " + techniqueId
                + " changes " + changes + ", and none is left in float, so there is nothing for it to do (apply it to the float model instead).");
    }
}
