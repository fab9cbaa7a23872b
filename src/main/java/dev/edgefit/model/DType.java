package dev.edgefit.model;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;

/** Element types EdgeFit knows, with their ONNX codes and sizes. */
public enum DType {
    FLOAT(DataType.FLOAT_VALUE, 32, true), FLOAT16(DataType.FLOAT16_VALUE, 16, true),
    BFLOAT16(DataType.BFLOAT16_VALUE, 16, true), DOUBLE(DataType.DOUBLE_VALUE, 64, true),
    INT8(DataType.INT8_VALUE, 8, false), UINT8(DataType.UINT8_VALUE, 8, false),
    INT16(DataType.INT16_VALUE, 16, false), UINT16(DataType.UINT16_VALUE, 16, false),
    INT32(DataType.INT32_VALUE, 32, false), UINT32(DataType.UINT32_VALUE, 32, false),
    INT64(DataType.INT64_VALUE, 64, false), UINT64(DataType.UINT64_VALUE, 64, false),
    BOOL(DataType.BOOL_VALUE, 8, false), INT4(DataType.INT4_VALUE, 4, false),
    UINT4(DataType.UINT4_VALUE, 4, false), STRING(DataType.STRING_VALUE, 0, false),
    UNDEFINED(0, 0, false);

    private final int onnxCode;
    private final int bits;
    private final boolean floatingPoint;

    DType(int onnxCode, int bits, boolean floatingPoint) {
        this.onnxCode = onnxCode;
        this.bits = bits;
        this.floatingPoint = floatingPoint;
    }

    public int onnxCode() {
        return onnxCode;
    }

    public int bits() {
        return bits;
    }

    public boolean isFloatingPoint() {
        return floatingPoint;
    }

    public boolean isInteger() {
        return !floatingPoint && this != BOOL && this != STRING && this != UNDEFINED;
    }

    /** Lower-case name as shown to users and in JSON, e.g. "float", "int64". */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static DType fromOnnx(int code) {
        for (DType t : values()) {
            if (t.onnxCode == code) {
                return t;
            }
        }
        return UNDEFINED;
    }
}
