package dev.edgefit.model;

import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/** Conversions between ONNX TensorProto and Java arrays. ONNX raw_data is little-endian. */
public final class Tensors {
    private Tensors() {
    }

    public static long elementCount(TensorProto t) {
        long n = 1;
        for (long d : t.getDimsList()) {
            n *= d;
        }
        return n;
    }

    public static long[] dims(TensorProto t) {
        return t.getDimsList().stream().mapToLong(Long::longValue).toArray();
    }

    public static DType dtype(TensorProto t) {
        return DType.fromOnnx(t.getDataType());
    }

    /** Bytes the tensor's values take in the file (raw or typed fields). */
    public static long storedBytes(TensorProto t) {
        if (t.hasRawData() || !t.getRawData().isEmpty()) {
            return t.getRawData().size();
        }
        DType d = dtype(t);
        return (elementCount(t) * d.bits() + 7) / 8;
    }

    /** Values of a floating-point tensor (float, float16, double) as float[]. */
    /**
     * The values of a floating-point tensor without copying them when they are float32 raw data (a read-only view
     * of the tensor's bytes); other encodings are converted with {@link #toFloats}. For reading large weights once.
     */
    public static java.nio.FloatBuffer floatView(TensorProto t) {
        if (dtype(t) == DType.FLOAT && !t.getRawData().isEmpty()) {
            return t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        }
        return java.nio.FloatBuffer.wrap(toFloats(t));
    }

    public static float[] toFloats(TensorProto t) {
        DType d = dtype(t);
        int n = Math.toIntExact(elementCount(t));
        float[] out = new float[n];
        ByteString raw = t.getRawData();
        switch (d) {
            case FLOAT -> {
                if (!raw.isEmpty()) {
                    raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
                } else {
                    for (int i = 0; i < n; i++) {
                        out[i] = t.getFloatData(i);
                    }
                }
            }
            case DOUBLE -> {
                if (!raw.isEmpty()) {
                    var b = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer();
                    for (int i = 0; i < n; i++) {
                        out[i] = (float) b.get(i);
                    }
                } else {
                    for (int i = 0; i < n; i++) {
                        out[i] = (float) t.getDoubleData(i);
                    }
                }
            }
            case FLOAT16 -> {
                if (!raw.isEmpty()) {
                    var b = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asShortBuffer();
                    for (int i = 0; i < n; i++) {
                        out[i] = Half.toFloat(b.get(i));
                    }
                } else {
                    for (int i = 0; i < n; i++) {
                        out[i] = Half.toFloat((short) t.getInt32Data(i));
                    }
                }
            }
            default -> throw new IllegalArgumentException("tensor " + t.getName() + " is " + d.label() + ", not floating point");
        }
        return out;
    }

    /** Values of an integer tensor (int8..int64, uint8..) as long[]. */
    public static long[] toLongs(TensorProto t) {
        DType d = dtype(t);
        int n = Math.toIntExact(elementCount(t));
        long[] out = new long[n];
        ByteString raw = t.getRawData();
        if (!raw.isEmpty()) {
            ByteBuffer b = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) {
                out[i] = switch (d) {
                    case INT8 -> b.get(i);
                    case UINT8, BOOL -> b.get(i) & 0xFF;
                    case INT16 -> b.getShort(i * 2);
                    case UINT16 -> b.getShort(i * 2) & 0xFFFF;
                    case INT32 -> b.getInt(i * 4);
                    case UINT32 -> b.getInt(i * 4) & 0xFFFFFFFFL;
                    case INT64, UINT64 -> b.getLong(i * 8);
                    default -> throw new IllegalArgumentException("tensor " + t.getName() + " is " + d.label());
                };
            }
            return out;
        }
        switch (d) {
            case INT64 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = t.getInt64Data(i);
                }
            }
            case UINT64, UINT32 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = t.getUint64Data(i);
                }
            }
            default -> {
                for (int i = 0; i < n; i++) {
                    out[i] = t.getInt32Data(i);
                }
            }
        }
        return out;
    }

    public static TensorProto floats(String name, long[] dims, float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return raw(name, DType.FLOAT, dims, b.array());
    }

    public static TensorProto int8(String name, long[] dims, byte[] values) {
        return raw(name, DType.INT8, dims, values);
    }

    public static TensorProto uint8(String name, long[] dims, byte[] values) {
        return raw(name, DType.UINT8, dims, values);
    }

    public static TensorProto int64(String name, long[] dims, long[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(values);
        return raw(name, DType.INT64, dims, b.array());
    }

    public static TensorProto int32(String name, long[] dims, int[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asIntBuffer().put(values);
        return raw(name, DType.INT32, dims, b.array());
    }

    public static TensorProto raw(String name, DType type, long[] dims, byte[] bytes) {
        TensorProto.Builder b = TensorProto.newBuilder().setName(name).setDataType(type.onnxCode())
                .setRawData(UnsafeByteOperations.unsafeWrap(bytes));
        for (long d : dims) {
            b.addDims(d);
        }
        return b.build();
    }

    public static long[] toLongArray(List<Long> list) {
        return list.stream().mapToLong(Long::longValue).toArray();
    }
}
