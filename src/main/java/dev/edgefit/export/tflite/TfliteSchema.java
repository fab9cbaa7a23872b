package dev.edgefit.export.tflite;

/**
 * Numbers of the TFLite flatbuffer schema (schema version 3, file identifier "TFL3") that EdgeFit writes: tensor
 * types, builtin operator codes, the BuiltinOptions union's type codes and each table's field slots. Values follow
 * tensorflow/compiler/mlir/lite/schema/schema.fbs (TensorFlow 2.21); a union field occupies two slots (its type,
 * then its value), which is why the slot numbers skip where they do.
 */
public final class TfliteSchema {
    private TfliteSchema() {
    }

    public static final int SCHEMA_VERSION = 3;
    public static final String FILE_IDENTIFIER = "TFL3";

    /** TensorType. */
    public static final byte FLOAT32 = 0;
    public static final byte FLOAT16 = 1;
    public static final byte INT32 = 2;
    public static final byte UINT8 = 3;
    public static final byte INT64 = 4;
    public static final byte BOOL = 6;
    public static final byte INT16 = 7;
    public static final byte INT8 = 9;

    public static String typeName(byte t) {
        return switch (t) {
            case FLOAT32 -> "float32";
            case FLOAT16 -> "float16";
            case INT32 -> "int32";
            case UINT8 -> "uint8";
            case INT64 -> "int64";
            case BOOL -> "bool";
            case INT16 -> "int16";
            case INT8 -> "int8";
            default -> "type" + t;
        };
    }

    public static int typeBytes(byte t) {
        return switch (t) {
            case FLOAT32, INT32 -> 4;
            case FLOAT16, INT16 -> 2;
            case INT64 -> 8;
            default -> 1;
        };
    }

    /** BuiltinOperator codes. */
    public enum Op {
        ADD(0), AVERAGE_POOL_2D(1), CONCATENATION(2), CONV_2D(3), DEPTHWISE_CONV_2D(4), DEQUANTIZE(6), FULLY_CONNECTED(9),
        LOGISTIC(14), MAX_POOL_2D(17), MUL(18), RELU(19), RELU_N1_TO_1(20), RELU6(21), RESHAPE(22), RESIZE_BILINEAR(23),
        SOFTMAX(25), TANH(28), PAD(34), TRANSPOSE(39), MEAN(40), SUB(41), DIV(42), SQUEEZE(43), STRIDED_SLICE(45), SPLIT(49), CAST(53),
        MAXIMUM(55), MINIMUM(57), PADV2(60), SLICE(65), TRANSPOSE_CONV(67), EQUAL(71), SQRT(75), RESIZE_NEAREST_NEIGHBOR(97), LEAKY_RELU(98), QUANTIZE(114),
        HARD_SWISH(117), BATCH_MATMUL(126);

        public final int code;

        Op(int code) {
            this.code = code;
        }

        /** The TFLite Micro MicroMutableOpResolver method that registers this operator, e.g. AddConv2D(). */
        public String microResolver() {
            return switch (this) {
                case ADD -> "AddAdd";
                case AVERAGE_POOL_2D -> "AddAveragePool2D";
                case CONCATENATION -> "AddConcatenation";
                case CONV_2D -> "AddConv2D";
                case DEPTHWISE_CONV_2D -> "AddDepthwiseConv2D";
                case DEQUANTIZE -> "AddDequantize";
                case FULLY_CONNECTED -> "AddFullyConnected";
                case LOGISTIC -> "AddLogistic";
                case MAX_POOL_2D -> "AddMaxPool2D";
                case MUL -> "AddMul";
                case RELU -> "AddRelu";
                case RELU_N1_TO_1 -> "AddReluN1To1";
                case RELU6 -> "AddRelu6";
                case RESHAPE -> "AddReshape";
                case RESIZE_BILINEAR -> "AddResizeBilinear";
                case SOFTMAX -> "AddSoftmax";
                case TANH -> "AddTanh";
                case PAD -> "AddPad";
                case TRANSPOSE -> "AddTranspose";
                case MEAN -> "AddMean";
                case SUB -> "AddSub";
                case DIV -> "AddDiv";
                case SQUEEZE -> "AddSqueeze";
                case SPLIT -> "AddSplit";
                case STRIDED_SLICE -> "AddStridedSlice";
                case CAST -> "AddCast";
                case SLICE -> "AddSlice";
                case TRANSPOSE_CONV -> "AddTransposeConv";
                case EQUAL -> "AddEqual";
                case SQRT -> "AddSqrt";
                case MAXIMUM -> "AddMaximum";
                case MINIMUM -> "AddMinimum";
                case PADV2 -> "AddPadV2";
                case RESIZE_NEAREST_NEIGHBOR -> "AddResizeNearestNeighbor";
                case LEAKY_RELU -> "AddLeakyRelu";
                case QUANTIZE -> "AddQuantize";
                case HARD_SWISH -> "AddHardSwish";
                case BATCH_MATMUL -> "AddBatchMatMul";
            };
        }
    }

    /** BuiltinOptions union type codes (0 = none). */
    public static final byte OPT_CONV_2D = 1;
    public static final byte OPT_DEPTHWISE_CONV_2D = 2;
    public static final byte OPT_POOL_2D = 5;
    public static final byte OPT_FULLY_CONNECTED = 8;
    public static final byte OPT_SOFTMAX = 9;
    public static final byte OPT_CONCATENATION = 10;
    public static final byte OPT_ADD = 11;
    public static final byte OPT_RESIZE_BILINEAR = 15;
    public static final byte OPT_RESHAPE = 17;
    public static final byte OPT_MUL = 21;
    public static final byte OPT_PAD = 22;
    public static final byte OPT_TRANSPOSE = 26;
    public static final byte OPT_REDUCER = 27;
    public static final byte OPT_SUB = 28;
    public static final byte OPT_DIV = 29;
    public static final byte OPT_SQUEEZE = 30;
    public static final byte OPT_STRIDED_SLICE = 32;
    public static final byte OPT_SPLIT = 35;
    public static final byte OPT_CAST = 37;
    public static final byte OPT_DEQUANTIZE = 38;
    public static final byte OPT_MAXIMUM_MINIMUM = 39;
    public static final byte OPT_PADV2 = 43;
    public static final byte OPT_SLICE = 48;
    public static final byte OPT_TRANSPOSE_CONV = 49;
    public static final byte OPT_EQUAL = 53;
    public static final byte OPT_RESIZE_NEAREST_NEIGHBOR = 74;
    public static final byte OPT_LEAKY_RELU = 75;
    public static final byte OPT_QUANTIZE = 89;
    public static final byte OPT_HARD_SWISH = 91;
    public static final byte OPT_BATCH_MATMUL = 101;

    /** Padding. */
    public static final byte PADDING_SAME = 0;
    public static final byte PADDING_VALID = 1;

    /** ActivationFunctionType. */
    public static final byte ACT_NONE = 0;
    public static final byte ACT_RELU = 1;
    public static final byte ACT_RELU_N1_TO_1 = 2;
    public static final byte ACT_RELU6 = 3;

    /** Field slots, per table. */
    static final class Model {
        static final int VERSION = 0, OPERATOR_CODES = 1, SUBGRAPHS = 2, DESCRIPTION = 3, BUFFERS = 4, METADATA = 6, SIGNATURE_DEFS = 7, FIELDS = 8;
    }

    static final class SubGraph {
        static final int TENSORS = 0, INPUTS = 1, OUTPUTS = 2, OPERATORS = 3, NAME = 4, FIELDS = 5;
    }

    static final class Tensor {
        static final int SHAPE = 0, TYPE = 1, BUFFER = 2, NAME = 3, QUANTIZATION = 4, HAS_RANK = 8, FIELDS = 9;
    }

    static final class Quantization {
        static final int MIN = 0, MAX = 1, SCALE = 2, ZERO_POINT = 3, QUANTIZED_DIMENSION = 6, FIELDS = 7;
    }

    static final class Buffer {
        static final int DATA = 0, FIELDS = 1;
    }

    static final class OperatorCode {
        static final int DEPRECATED_BUILTIN_CODE = 0, VERSION = 2, BUILTIN_CODE = 3, FIELDS = 4;
    }

    static final class Operator {
        static final int OPCODE_INDEX = 0, INPUTS = 1, OUTPUTS = 2, BUILTIN_OPTIONS_TYPE = 3, BUILTIN_OPTIONS = 4, FIELDS = 5;
    }

    static final class Metadata {
        static final int NAME = 0, BUFFER = 1, FIELDS = 2;
    }

    static final class SignatureDef {
        static final int INPUTS = 0, OUTPUTS = 1, SIGNATURE_KEY = 2, SUBGRAPH_INDEX = 4, FIELDS = 5;
    }

    static final class TensorMap {
        static final int NAME = 0, TENSOR_INDEX = 1, FIELDS = 2;
    }
}
