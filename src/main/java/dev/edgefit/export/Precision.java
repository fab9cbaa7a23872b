package dev.edgefit.export;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.edgefit.model.DType;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.Tensors;

import java.util.Set;
import java.util.TreeSet;

/** A short description of how a model's weights and arithmetic are stored, read from its graph. */
public final class Precision {
    private Precision() {
    }

    public static String of(ModelSnapshot m) {
        Set<String> parts = new TreeSet<>();
        for (NodeProto n : m.graph().getNodeList()) {
            switch (n.getOpType()) {
                case "MatMulInteger", "DynamicQuantizeLinear" -> parts.add("int8 dynamic");
                case "QuantizeLinear" -> parts.add("int8 static (QDQ)");
                case "MatMulNBits" -> parts.add("int4 weights");
                case "BitShift" -> parts.add("binary weights");
                default -> { }
            }
        }
        for (TensorProto t : m.graph().getInitializerList()) {
            if (Tensors.dtype(t) == DType.FLOAT16) {
                parts.add("fp16 weights");
            }
        }
        return parts.isEmpty() ? "fp32" : String.join(" + ", parts);
    }
}
