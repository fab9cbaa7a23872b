package dev.edgefit.device;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import dev.edgefit.data.InputGenerator;
import dev.edgefit.data.InputOverrides;
import dev.edgefit.model.DType;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.ModelStats;
import dev.edgefit.model.Nodes;
import dev.edgefit.model.Tensors;
import dev.edgefit.runtime.ShapeProbe;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What one inference of a model asks of a device, operator by operator: multiply-accumulates, weight bytes and
 * activation bytes read and written, each in the precision the operator computes in, plus the peak of the
 * activations that are alive at the same time. The {@link Estimator} turns it into time, memory and energy.
 *
 * <h2>How a graph becomes operators</h2>
 * <ul>
 *   <li>Values computed only from initializers (a DequantizeLinear of int8 weights, a Cast of float16 weights,
 *       the unpacking of binary weights) are weights, decoded once when the runtime loads the model: they are
 *       not operators and their stored bytes count as the consuming operator's weights. Shape and what is
 *       computed from it and from weights alone is folded too: the estimate is for the measured input shape.</li>
 *   <li>QuantizeLinear/DequantizeLinear on activations are absorbed by the int8 kernels that runtimes fuse them
 *       into, and a BatchNormalization right after a convolution or matrix product is folded into its weights, as
 *       every deployment runtime and converter does: not operators; their output is the same buffer as their input
 *       for the liveness analysis.</li>
 *   <li>Precision: ConvInteger, MatMulInteger, QLinear* and operators whose activation and weight inputs both
 *       come from DequantizeLinear compute in int8; MatMulNBits and operators with int8/float16 weights but
 *       float activations are weight-only (compute in fp32, read fewer weight bytes); float16 weights feeding an
 *       operator directly compute in fp16; the rest in fp32.</li>
 *   <li>Activations are 1 byte per element in a statically quantized graph (one with QuantizeLinear on
 *       activations), 2 in a float16 graph, 4 otherwise.</li>
 *   <li>LSTM/GRU/RNN and If/Loop/Scan have the MACs {@link dev.edgefit.model.ModelStats} gives them (an If: the
 *       branch measured as the one that ran); an If, Loop or Scan reads as weights the float initializers its
 *       subgraphs read.</li>
 *   <li>Work of an operator without MACs (Add, Relu, pools) is counted as one operation per output element
 *       (per window element for pools), so that its compute time is not zero on a device without a memory
 *       bandwidth figure.</li>
 * </ul>
 *
 * @param ops                 executed operators in graph order
 * @param peakActivationBytes largest sum of activation tensors alive at once (inputs and outputs included)
 * @param weightBytes         weight bytes in the precision each operator reads them
 */
public record Workload(List<Op> ops, long peakActivationBytes, long weightBytes) {

    /**
     * One executed operator.
     *
     * @param name      node name
     * @param opType    ONNX operator type
     * @param precision the precision it computes in: {@code int8}, {@code fp16} or {@code fp32}
     * @param macs      multiply-accumulates; for an operator without them, element operations
     * @param hasMacs   true for convolutions and matrix products
     * @param weightBytes bytes of its weights as stored
     * @param inBytes   activation bytes read
     * @param outBytes  activation bytes written
     */
    public record Op(String name, String opType, String precision, long macs, boolean hasMacs, long weightBytes, long inBytes,
                     long outBytes) {
    }

    public Workload {
        ops = List.copyOf(ops);
    }

    /** Total MACs (and element operations) of all operators. */
    public long totalMacs() {
        return ops.stream().mapToLong(Op::macs).sum();
    }

    /** Bytes per element of a precision. */
    public static int width(String precision) {
        return switch (precision) {
            case "int8" -> 1;
            case "fp16" -> 2;
            default -> 4;
        };
    }

    private static final Set<String> MAC_OPS = Set.of("Conv", "ConvInteger", "QLinearConv", "FusedConv", "ConvTranspose", "MatMul",
            "MatMulInteger", "QLinearMatMul", "FusedMatMul", "MatMulIntegerToFloat", "DynamicQuantizeMatMul", "MatMulNBits", "Gemm");
    /** Operators with MACs counted by ModelStats that hold weights of their own or in subgraphs (If: the branch that ran). */
    private static final Set<String> RECURRENT_OR_SUBGRAPH = Set.of("LSTM", "GRU", "RNN", "If", "Loop", "Scan");
    private static final Set<String> INT8_OPS = Set.of("ConvInteger", "QLinearConv", "MatMulInteger", "QLinearMatMul",
            "MatMulIntegerToFloat", "DynamicQuantizeMatMul");
    private static final Set<String> QDQ = Set.of("QuantizeLinear", "DequantizeLinear");
    /** Operators into which every deployment runtime folds a BatchNormalization that follows them. */
    private static final Set<String> FOLDS_BN = Set.of("Conv", "ConvTranspose", "Gemm", "MatMul", "QLinearConv", "ConvInteger", "FusedConv");

    /** Measures the shapes by running the model once on generated inputs, then {@link #of(ModelSnapshot, Map, String)}. */
    public static Workload of(ModelSnapshot model, String precisionOverride) {
        return of(model, InputOverrides.NONE, precisionOverride);
    }

    /** As {@link #of(ModelSnapshot, String)}, on generated inputs with what the user fixed about them. */
    public static Workload of(ModelSnapshot model, InputOverrides inputs, String precisionOverride) {
        Map<String, long[]> shapes = ShapeProbe.probe(model, new InputGenerator(model, inputs).generate(0));
        return of(model, shapes, precisionOverride);
    }

    /**
     * @param shapes            the concrete shape of every value (see runtime.ShapeProbe)
     * @param precisionOverride {@code int8}, {@code fp16} or {@code fp32} to estimate the model as if converted to
     *                          that precision; null for the model as it is
     */
    public static Workload of(ModelSnapshot model, Map<String, long[]> shapes, String precisionOverride) {
        Map<String, TensorProto> inits = model.initializers();
        List<NodeProto> nodes = model.graph().getNodeList();
        Map<String, NodeProto> producer = new HashMap<>();
        for (NodeProto n : nodes) {
            n.getOutputList().forEach(o -> producer.put(o, n));
        }
        // Values computed from initializers only are weights.
        Set<String> constant = new HashSet<>(inits.keySet());
        Set<NodeProto> decoding = new HashSet<>();
        for (NodeProto n : nodes) {
            // Shape reads only the (static, measured) shape of its input: it and everything computed from it and from
            // weights alone is folded when the model is prepared for a fixed input shape, as converters do
            boolean allConst = n.getOpType().equals("Constant") || n.getOpType().equals("Shape")
                    || (n.getInputCount() > 0 && n.getInputList().stream().allMatch(i -> i.isEmpty() || constant.contains(i)));
            if (allConst) {
                constant.addAll(n.getOutputList());
                decoding.add(n);
            }
        }
        boolean staticInt8 = nodes.stream().anyMatch(n -> n.getOpType().equals("QuantizeLinear") && !constant.contains(n.getInput(0)))
                || nodes.stream().anyMatch(n -> n.getOpType().startsWith("QLinear"));
        boolean fp16Graph = model.graph().getInitializerList().stream().anyMatch(t -> Tensors.dtype(t) == DType.FLOAT16)
                && nodes.stream().noneMatch(n -> n.getOpType().equals("Cast") && decoding.contains(n));
        int actWidth = precisionOverride != null ? width(precisionOverride) : staticInt8 ? 1 : fp16Graph ? 2 : 4;

        // Q/DQ on activations are fused away: their output is their input.
        Map<String, String> alias = new HashMap<>();
        List<NodeProto> executed = new ArrayList<>();
        for (NodeProto n : nodes) {
            if (decoding.contains(n)) {
                continue;
            }
            if (QDQ.contains(n.getOpType())) {
                alias.put(n.getOutput(0), resolve(alias, n.getInput(0)));
                continue;
            }
            NodeProto before = producer.get(resolve(alias, n.getInput(0)));
            if (n.getOpType().equals("BatchNormalization") && before != null && FOLDS_BN.contains(before.getOpType())) {
                alias.put(n.getOutput(0), resolve(alias, n.getInput(0)));
                continue;
            }
            executed.add(n);
        }

        Set<String> weightsCounted = new HashSet<>();
        List<Op> ops = new ArrayList<>();
        long totalWeights = 0;
        for (int idx = 0; idx < executed.size(); idx++) {
            NodeProto n = executed.get(idx);
            String op = n.getOpType();
            boolean mac = MAC_OPS.contains(op) || RECURRENT_OR_SUBGRAPH.contains(op);
            long wb = 0;
            long wElems = 0;
            DType weightType = null;
            boolean weightViaDq = false;
            boolean actViaDq = false;
            long in = 0;
            for (String i : n.getInputList()) {
                if (i.isEmpty()) {
                    continue;
                }
                if (constant.contains(i)) {
                    for (TensorProto t : roots(i, inits, producer)) {
                        if (weightsCounted.add(t.getName())) {
                            wb += Tensors.storedBytes(t);
                            wElems += Tensors.elementCount(t);
                        }
                        if (Tensors.elementCount(t) > 1 && (weightType == null || Tensors.dtype(t).bits() < weightType.bits())) {
                            weightType = Tensors.dtype(t);
                        }
                    }
                    NodeProto p = producer.get(i);
                    weightViaDq |= p != null && p.getOpType().equals("DequantizeLinear");
                } else {
                    NodeProto p = producer.get(i);
                    actViaDq |= p != null && p.getOpType().equals("DequantizeLinear");
                    in += elements(shapes.get(resolve(alias, i))) * actWidth;
                }
            }
            for (TensorProto t : subgraphWeights(n, inits)) {
                if (weightsCounted.add(t.getName())) {
                    wb += Tensors.storedBytes(t);
                    wElems += Tensors.elementCount(t);
                }
            }
            long out = 0;
            for (String o : n.getOutputList()) {
                if (!o.isEmpty()) {
                    out += elements(shapes.get(o)) * actWidth;
                }
            }
            String precision;
            if (precisionOverride != null) {
                precision = precisionOverride;
                wb = wElems * width(precisionOverride);
            } else if (INT8_OPS.contains(op) || op.startsWith("QLinear") || (weightViaDq && actViaDq)
                    || (!mac && staticInt8)) {
                precision = "int8";
            } else if (weightType == DType.FLOAT16 && fp16Graph) {
                precision = "fp16";
            } else if (!mac && fp16Graph) {
                precision = "fp16";
            } else {
                precision = "fp32";
            }
            long work;
            if (mac) {
                Long m = ModelStats.macs(n, shapes, inits);
                work = m == null ? 0 : m;
            } else {
                work = elementWork(n, shapes, alias);
            }
            totalWeights += wb;
            ops.add(new Op(n.getName().isEmpty() ? op + "_" + idx : n.getName(), op, precision, work, mac, wb, in, out));
        }
        long peak = peakLive(model, executed, constant, alias, shapes, actWidth);
        return new Workload(ops, peak, totalWeights);
    }

    /** The initializers that the node's subgraphs (If branches, Loop/Scan bodies, at any depth) read, theirs and outer ones. */
    private static List<TensorProto> subgraphWeights(NodeProto n, Map<String, TensorProto> scope) {
        List<TensorProto> out = new ArrayList<>();
        for (ai.onnx.proto.OnnxMl.AttributeProto a : n.getAttributeList()) {
            if (!a.hasG()) {
                continue;
            }
            Map<String, TensorProto> inner = new HashMap<>(scope);
            a.getG().getInitializerList().forEach(t -> inner.put(t.getName(), t));
            for (NodeProto sub : a.getG().getNodeList()) {
                for (String i : sub.getInputList()) {
                    TensorProto t = inner.get(i);
                    if (t != null && Tensors.dtype(t).isFloatingPoint() && Tensors.elementCount(t) > 1) {
                        out.add(t);
                    }
                }
                out.addAll(subgraphWeights(sub, inner));
            }
        }
        return out;
    }

    /** Element operations of an operator without MACs: one per output element, times the window for pools. */
    private static long elementWork(NodeProto n, Map<String, long[]> shapes, Map<String, String> alias) {
        long out = n.getOutputCount() > 0 ? elements(shapes.get(n.getOutput(0))) : 0;
        switch (n.getOpType()) {
            case "MaxPool", "AveragePool" -> {
                long k = 1;
                for (long d : Nodes.intsAttr(n, "kernel_shape")) {
                    k *= d;
                }
                return out * Math.max(1, k);
            }
            case "GlobalAveragePool", "GlobalMaxPool", "ReduceMean", "ReduceSum", "ReduceMax" -> {
                return n.getInputCount() > 0 ? elements(shapes.get(resolve(alias, n.getInput(0)))) : out;
            }
            case "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Shape" -> {
                return 0;
            }
            default -> {
                return out;
            }
        }
    }

    /**
     * The largest total size of activations alive at once, walking the operators in order: a value is alive from
     * the operator that writes it (graph inputs from the start) to the last operator that reads it (graph outputs
     * to the end). This is the lower bound an arena planner reaches when nothing fragments.
     */
    static long peakLive(ModelSnapshot model, List<NodeProto> executed, Set<String> constant, Map<String, String> alias,
                         Map<String, long[]> shapes, int width) {
        Map<String, Integer> first = new LinkedHashMap<>();
        Map<String, Integer> last = new HashMap<>();
        int end = executed.size();
        for (ValueInfoProto vi : model.graph().getInputList()) {
            if (!constant.contains(vi.getName())) {
                first.put(vi.getName(), 0);
                last.put(vi.getName(), 0);
            }
        }
        for (int i = 0; i < executed.size(); i++) {
            NodeProto n = executed.get(i);
            for (String in : n.getInputList()) {
                String v = resolve(alias, in);
                if (!in.isEmpty() && !constant.contains(in) && first.containsKey(v)) {
                    last.put(v, i);
                }
            }
            for (String o : n.getOutputList()) {
                if (!o.isEmpty()) {
                    first.putIfAbsent(o, i);
                    last.putIfAbsent(o, i);
                }
            }
        }
        for (ValueInfoProto vi : model.graph().getOutputList()) {
            String v = resolve(alias, vi.getName());
            if (first.containsKey(v)) {
                last.put(v, end);
            }
        }
        long peak = 0;
        for (int i = 0; i < Math.max(1, executed.size()); i++) {
            long live = 0;
            for (Map.Entry<String, Integer> e : first.entrySet()) {
                if (e.getValue() <= i && last.get(e.getKey()) >= i) {
                    live += elements(shapes.get(e.getKey())) * width;
                }
            }
            peak = Math.max(peak, live);
        }
        return peak;
    }

    /** The initializers a constant value is decoded from (itself if it is one). */
    private static List<TensorProto> roots(String value, Map<String, TensorProto> inits, Map<String, NodeProto> producer) {
        List<TensorProto> out = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        List<String> todo = new ArrayList<>(List.of(value));
        while (!todo.isEmpty()) {
            String v = todo.remove(todo.size() - 1);
            if (v.isEmpty() || !seen.add(v)) {
                continue;
            }
            TensorProto t = inits.get(v);
            if (t != null) {
                out.add(t);
                continue;
            }
            NodeProto p = producer.get(v);
            if (p != null) {
                if (p.getOpType().equals("Constant")) {
                    p.getAttributeList().stream().filter(a -> a.hasT()).forEach(a -> out.add(a.getT().toBuilder().setName(v).build()));
                } else {
                    todo.addAll(p.getInputList());
                }
            }
        }
        return out;
    }

    private static String resolve(Map<String, String> alias, String v) {
        String r = v;
        for (int guard = 0; guard < 64 && alias.containsKey(r); guard++) {
            r = alias.get(r);
        }
        return r;
    }

    static long elements(long[] shape) {
        if (shape == null) {
            return 0;
        }
        long p = 1;
        for (long d : shape) {
            p *= Math.max(d, 0);
        }
        return p;
    }
}
