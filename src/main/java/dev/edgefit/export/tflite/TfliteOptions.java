package dev.edgefit.export.tflite;

import com.google.flatbuffers.FlatBufferBuilder;
import dev.edgefit.export.tflite.TfliteModelWriter.Options;

import java.util.function.ToIntFunction;

/** The builtin options tables EdgeFit writes, each with its field slots as in TFLite's schema. */
final class TfliteOptions {
    private TfliteOptions() {
    }

    private static Options of(byte type, ToIntFunction<FlatBufferBuilder> w) {
        return new Options() {
            @Override
            public byte type() {
                return type;
            }

            @Override
            public int write(FlatBufferBuilder b) {
                return w.applyAsInt(b);
            }
        };
    }

    private static Options empty(byte type) {
        return of(type, b -> {
            b.startTable(0);
            return b.endTable();
        });
    }

    static Options conv2d(byte padding, int strideW, int strideH, byte act, int dilW, int dilH) {
        return of(TfliteSchema.OPT_CONV_2D, b -> {
            b.startTable(7);
            b.addByte(0, padding, 0);
            b.addInt(1, strideW, 0);
            b.addInt(2, strideH, 0);
            b.addByte(3, act, 0);
            b.addInt(4, dilW, 1);
            b.addInt(5, dilH, 1);
            return b.endTable();
        });
    }

    static Options depthwise(byte padding, int strideW, int strideH, int multiplier, byte act, int dilW, int dilH) {
        return of(TfliteSchema.OPT_DEPTHWISE_CONV_2D, b -> {
            b.startTable(7);
            b.addByte(0, padding, 0);
            b.addInt(1, strideW, 0);
            b.addInt(2, strideH, 0);
            b.addInt(3, multiplier, 0);
            b.addByte(4, act, 0);
            b.addInt(5, dilW, 1);
            b.addInt(6, dilH, 1);
            return b.endTable();
        });
    }

    static Options pool(byte padding, int strideW, int strideH, int filterW, int filterH, byte act) {
        return of(TfliteSchema.OPT_POOL_2D, b -> {
            b.startTable(6);
            b.addByte(0, padding, 0);
            b.addInt(1, strideW, 0);
            b.addInt(2, strideH, 0);
            b.addInt(3, filterW, 0);
            b.addInt(4, filterH, 0);
            b.addByte(5, act, 0);
            return b.endTable();
        });
    }

    static Options fullyConnected(byte act, boolean keepNumDims) {
        return of(TfliteSchema.OPT_FULLY_CONNECTED, b -> {
            b.startTable(5);
            b.addByte(0, act, 0);
            b.addBoolean(2, keepNumDims, false);
            return b.endTable();
        });
    }

    static Options softmax(float beta) {
        return of(TfliteSchema.OPT_SOFTMAX, b -> {
            b.startTable(1);
            b.addFloat(0, beta, 0);
            return b.endTable();
        });
    }

    static Options concatenation(int axis, byte act) {
        return of(TfliteSchema.OPT_CONCATENATION, b -> {
            b.startTable(2);
            b.addInt(0, axis, 0);
            b.addByte(1, act, 0);
            return b.endTable();
        });
    }

    /** ADD, SUB, MUL and DIV: a fused activation only. */
    static Options arithmetic(TfliteSchema.Op op, byte act) {
        byte type = switch (op) {
            case ADD -> TfliteSchema.OPT_ADD;
            case SUB -> TfliteSchema.OPT_SUB;
            case MUL -> TfliteSchema.OPT_MUL;
            case DIV -> TfliteSchema.OPT_DIV;
            default -> throw new IllegalArgumentException(op.name());
        };
        return of(type, b -> {
            b.startTable(2);
            b.addByte(0, act, 0);
            return b.endTable();
        });
    }

    static Options reshape(int[] newShape) {
        return of(TfliteSchema.OPT_RESHAPE, b -> {
            int v = TfliteModelWriter.intVector(b, newShape);
            b.startTable(1);
            b.addOffset(0, v, 0);
            return b.endTable();
        });
    }

    static Options squeeze(int[] dims) {
        return of(TfliteSchema.OPT_SQUEEZE, b -> {
            int v = TfliteModelWriter.intVector(b, dims);
            b.startTable(1);
            b.addOffset(0, v, 0);
            return b.endTable();
        });
    }

    static Options split(int numSplits) {
        return of(TfliteSchema.OPT_SPLIT, b -> {
            b.startTable(1);
            b.addInt(0, numSplits, 0);
            return b.endTable();
        });
    }

    static Options reducer(boolean keepDims) {
        return of(TfliteSchema.OPT_REDUCER, b -> {
            b.startTable(1);
            b.addBoolean(0, keepDims, false);
            return b.endTable();
        });
    }

    static Options leakyRelu(float alpha) {
        return of(TfliteSchema.OPT_LEAKY_RELU, b -> {
            b.startTable(1);
            b.addFloat(0, alpha, 0);
            return b.endTable();
        });
    }

    static Options resizeBilinear(boolean alignCorners, boolean halfPixelCenters) {
        return of(TfliteSchema.OPT_RESIZE_BILINEAR, b -> {
            b.startTable(4);
            b.addBoolean(2, alignCorners, false);
            b.addBoolean(3, halfPixelCenters, false);
            return b.endTable();
        });
    }

    static Options resizeNearest(boolean alignCorners, boolean halfPixelCenters) {
        return of(TfliteSchema.OPT_RESIZE_NEAREST_NEIGHBOR, b -> {
            b.startTable(2);
            b.addBoolean(0, alignCorners, false);
            b.addBoolean(1, halfPixelCenters, false);
            return b.endTable();
        });
    }

    static Options batchMatMul(boolean adjX, boolean adjY) {
        return of(TfliteSchema.OPT_BATCH_MATMUL, b -> {
            b.startTable(3);
            b.addBoolean(0, adjX, false);
            b.addBoolean(1, adjY, false);
            return b.endTable();
        });
    }

    static Options pad() {
        return empty(TfliteSchema.OPT_PAD);
    }

    static Options padV2() {
        return empty(TfliteSchema.OPT_PADV2);
    }

    static Options transpose() {
        return empty(TfliteSchema.OPT_TRANSPOSE);
    }

    static Options dequantize() {
        return empty(TfliteSchema.OPT_DEQUANTIZE);
    }

    static Options quantize() {
        return empty(TfliteSchema.OPT_QUANTIZE);
    }

    static Options maximumMinimum() {
        return empty(TfliteSchema.OPT_MAXIMUM_MINIMUM);
    }

    static Options hardSwish() {
        return empty(TfliteSchema.OPT_HARD_SWISH);
    }

    static Options slice() {
        return empty(TfliteSchema.OPT_SLICE);
    }

    /** StridedSliceOptions: no masks (begin, end and strides are given for every axis). */
    static Options stridedSlice() {
        return of(TfliteSchema.OPT_STRIDED_SLICE, b -> {
            b.startTable(6);
            return b.endTable();
        });
    }

    static Options equal() {
        return empty(TfliteSchema.OPT_EQUAL);
    }

    static Options cast(byte in, byte out) {
        return of(TfliteSchema.OPT_CAST, b -> {
            b.startTable(2);
            b.addByte(0, in, 0);
            b.addByte(1, out, 0);
            return b.endTable();
        });
    }

    /** TransposeConvOptions: padding, strides (no fused activation: an activation after it is an operator of its own). */
    static Options transposeConv(byte padding, int strideW, int strideH) {
        return of(TfliteSchema.OPT_TRANSPOSE_CONV, b -> {
            b.startTable(5);
            b.addByte(0, padding, 0);
            b.addInt(1, strideW, 0);
            b.addInt(2, strideH, 0);
            return b.endTable();
        });
    }
}
