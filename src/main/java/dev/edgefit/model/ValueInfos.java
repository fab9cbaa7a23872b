package dev.edgefit.model;

import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;

import java.util.ArrayList;
import java.util.List;

/** Reads and writes ONNX ValueInfoProto (the typed signature of a graph input or output). */
public final class ValueInfos {
    private ValueInfos() {
    }

    public static TensorSpec spec(ValueInfoProto v) {
        TypeProto.Tensor tt = v.getType().getTensorType();
        DType dtype = DType.fromOnnx(tt.getElemType());
        List<String> names = new ArrayList<>();
        long[] shape;
        if (tt.hasShape()) {
            shape = new long[tt.getShape().getDimCount()];
            for (int i = 0; i < shape.length; i++) {
                TensorShapeProto.Dimension d = tt.getShape().getDim(i);
                shape[i] = d.hasDimValue() && d.getDimValue() > 0 ? d.getDimValue() : -1;
                names.add(d.hasDimParam() ? d.getDimParam() : "");
            }
        } else {
            shape = new long[0];
        }
        return new TensorSpec(v.getName(), dtype, shape, names);
    }

    public static ValueInfoProto of(String name, DType dtype, long[] shape, List<String> dimNames) {
        TensorShapeProto.Builder sb = TensorShapeProto.newBuilder();
        for (int i = 0; i < shape.length; i++) {
            TensorShapeProto.Dimension.Builder d = TensorShapeProto.Dimension.newBuilder();
            if (shape[i] >= 0) {
                d.setDimValue(shape[i]);
            } else {
                d.setDimParam(i < dimNames.size() && !dimNames.get(i).isEmpty() ? dimNames.get(i) : "d" + i);
            }
            sb.addDim(d);
        }
        return ValueInfoProto.newBuilder().setName(name)
                .setType(TypeProto.newBuilder().setTensorType(
                        TypeProto.Tensor.newBuilder().setElemType(dtype.onnxCode()).setShape(sb)))
                .build();
    }
}
