package dev.edgefit.runtime;

import dev.edgefit.common.EdgeFitException;
import dev.edgefit.model.DType;
import dev.edgefit.model.Layouts;
import dev.edgefit.model.TensorSpec;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.tensorflowlite.Reporter_Pointer_String_Pointer;
import org.bytedeco.tensorflowlite.TfLiteInterpreter;
import org.bytedeco.tensorflowlite.TfLiteInterpreterOptions;
import org.bytedeco.tensorflowlite.TfLiteModel;
import org.bytedeco.tensorflowlite.TfLiteQuantizationParams;
import org.bytedeco.tensorflowlite.TfLiteTensor;
import org.bytedeco.tensorflowlite.global.tensorflowlite;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.bytedeco.tensorflowlite.global.tensorflowlite.*;

/**
 * Runs a .tflite file in TensorFlow Lite's own interpreter (the C API of TensorFlow Lite 2.21 through bytedeco's
 * JavaCPP presets, CPU, builtin kernels). Takes and returns float tensors in the source model's axis order: an input
 * the file stores in another order (NHWC for an NCHW image) is permuted on the way in; int8 inputs and outputs are
 * quantized and dequantized with the file's own scale and zero point.
 */
public final class TfliteRunner implements Runner {
    private static volatile boolean loaded;

    private final Path file;
    private final BytePointer modelData;
    private final TfLiteModel model;
    private final TfLiteInterpreterOptions options;
    private final TfLiteInterpreter interpreter;
    private final Reporter_Pointer_String_Pointer reporter;
    private final StringBuilder errors = new StringBuilder();
    private final Map<String, int[]> inputPerms;
    private final List<TensorSpec> inputs = new ArrayList<>();
    private final List<TensorSpec> outputs = new ArrayList<>();

    /**
     * @param inputPerms for inputs the file stores in another axis order: tflite shape[i] = source shape[perm[i]]
     */
    public TfliteRunner(Path file, Map<String, int[]> inputPerms, int threads) {
        load();
        this.file = file;
        this.inputPerms = Map.copyOf(inputPerms);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw EdgeFitException.badModel(file, "could not be read (" + e.getMessage() + ").", e);
        }
        // the interpreter reads weights in place: keep the bytes, 16-byte aligned, until close()
        modelData = new BytePointer(Pointer.malloc(bytes.length + 16L));
        long shift = (16 - (modelData.address() & 15)) & 15;
        BytePointer aligned = new BytePointer(modelData).position(shift);
        aligned.put(bytes);
        reporter = new Reporter_Pointer_String_Pointer() {
            @Override
            public void call(Pointer userData, String format, Pointer args) {
                synchronized (errors) {
                    if (errors.length() < 2000) {
                        errors.append(errors.length() == 0 ? "" : "; ").append(format.strip());
                    }
                }
            }
        };
        model = TfLiteModelCreateWithErrorReporter(aligned, bytes.length, reporter, null);
        if (model == null || model.isNull()) {
            free();
            throw EdgeFitException.badModel(file, "is not a TFLite model that TensorFlow Lite can read (" + errorText() + ").");
        }
        options = TfLiteInterpreterOptionsCreate();
        TfLiteInterpreterOptionsSetNumThreads(options, threads <= 0 ? 1 : threads);
        TfLiteInterpreterOptionsSetErrorReporter(options, reporter, null);
        interpreter = TfLiteInterpreterCreate(model, options);
        if (interpreter == null || interpreter.isNull() || TfLiteInterpreterAllocateTensors(interpreter) != kTfLiteOk) {
            close();
            throw new EdgeFitException(EdgeFitException.Kind.UNSUPPORTED_OPERATOR, file + ": TensorFlow Lite " + version()
                    + " could not prepare the model (" + errorText() + ").");
        }
        for (int i = 0; i < TfLiteInterpreterGetInputTensorCount(interpreter); i++) {
            inputs.add(spec(TfLiteInterpreterGetInputTensor(interpreter, i), true));
        }
        for (int i = 0; i < TfLiteInterpreterGetOutputTensorCount(interpreter); i++) {
            outputs.add(spec(TfLiteInterpreterGetOutputTensor(interpreter, i), false));
        }
    }

    private static void load() {
        if (!loaded) {
            synchronized (TfliteRunner.class) {
                if (!loaded) {
                    Loader.load(tensorflowlite.class);
                    loaded = true;
                }
            }
        }
    }

    public static String version() {
        return "2.21.0";
    }

    private String errorText() {
        synchronized (errors) {
            return errors.length() == 0 ? "no message from TensorFlow Lite" : errors.toString();
        }
    }

    private TensorSpec spec(TfLiteTensor t, boolean input) {
        String name = TfLiteTensorName(t).getString();
        long[] shape = dims(t);
        int[] perm = input ? inputPerms.get(name) : null;
        if (perm != null) {
            shape = Layouts.permuteShape(shape, Layouts.inverse(perm));
        }
        DType type = switch (TfLiteTensorType(t)) {
            case kTfLiteInt32 -> DType.INT32;
            case kTfLiteInt64 -> DType.INT64;
            default -> DType.FLOAT;   // float, and int8 quantized/dequantized here with the tensor's parameters
        };
        return new TensorSpec(name, type, shape, List.of());
    }

    private static long[] dims(TfLiteTensor t) {
        long[] shape = new long[TfLiteTensorNumDims(t)];
        for (int d = 0; d < shape.length; d++) {
            shape[d] = TfLiteTensorDim(t, d);
        }
        return shape;
    }

    @Override
    public String runtimeName() {
        return "TensorFlow Lite " + version() + " (CPU, builtin kernels)";
    }

    @Override
    public List<TensorSpec> inputs() {
        return List.copyOf(inputs);
    }

    @Override
    public List<TensorSpec> outputs() {
        return List.copyOf(outputs);
    }

    /** Element type of each input and output as the file stores it, e.g. "int8". */
    public String storedType(String name) {
        for (int i = 0; i < inputs.size(); i++) {
            if (inputs.get(i).name().equals(name)) {
                return typeName(TfLiteTensorType(TfLiteInterpreterGetInputTensor(interpreter, i)));
            }
        }
        for (int i = 0; i < outputs.size(); i++) {
            if (outputs.get(i).name().equals(name)) {
                return typeName(TfLiteTensorType(TfLiteInterpreterGetOutputTensor(interpreter, i)));
            }
        }
        return null;
    }

    private static String typeName(int t) {
        return switch (t) {
            case kTfLiteFloat32 -> "float32";
            case kTfLiteInt8 -> "int8";
            case kTfLiteUInt8 -> "uint8";
            case kTfLiteInt32 -> "int32";
            case kTfLiteInt64 -> "int64";
            case kTfLiteFloat16 -> "float16";
            default -> "type " + t;
        };
    }

    @Override
    public synchronized Map<String, Tensor> run(Map<String, Tensor> in) {
        for (int i = 0; i < inputs.size(); i++) {
            TensorSpec s = inputs.get(i);
            Tensor v = in.get(s.name());
            if (v == null && in.size() == 1 && inputs.size() == 1) {
                v = in.values().iterator().next();
            }
            if (v == null) {
                throw new IllegalArgumentException("no value for input " + s.name());
            }
            TfLiteTensor t = TfLiteInterpreterGetInputTensor(interpreter, i);
            long[] want = s.shape();
            if (!java.util.Arrays.equals(want, v.shape())) {
                throw new EdgeFitException(EdgeFitException.Kind.BAD_DATASET, file + ": input '" + s.name() + "' has the fixed shape "
                        + java.util.Arrays.toString(want) + ", got " + java.util.Arrays.toString(v.shape()) + ".");
            }
            ByteBuffer buf = ByteBuffer.allocateDirect((int) TfLiteTensorByteSize(t)).order(ByteOrder.nativeOrder());
            int type = TfLiteTensorType(t);
            if (type == kTfLiteInt32 || type == kTfLiteInt64) {
                float[] f = v.floats();
                for (float x : f) {
                    if (type == kTfLiteInt32) {
                        buf.putInt((int) x);
                    } else {
                        buf.putLong((long) x);
                    }
                }
            } else {
                float[] f = v.floats();
                int[] perm = inputPerms.get(s.name());
                if (perm != null) {
                    f = Layouts.permute(f, v.shape(), perm);
                }
                if (type == kTfLiteFloat32) {
                    buf.asFloatBuffer().put(f);
                } else if (type == kTfLiteInt8 || type == kTfLiteUInt8) {
                    TfLiteQuantizationParams q = TfLiteTensorQuantizationParams(t);
                    float scale = q.scale();
                    int zp = q.zero_point();
                    int lo = type == kTfLiteInt8 ? -128 : 0;
                    int hi = type == kTfLiteInt8 ? 127 : 255;
                    for (int j = 0; j < f.length; j++) {
                        buf.put(j, (byte) Math.max(lo, Math.min(hi, Math.round(f[j] / scale) + zp)));
                    }
                } else {
                    throw new IllegalStateException("input " + s.name() + " of " + file + " is " + typeName(type));
                }
            }
            check(TfLiteTensorCopyFromBuffer(t, new Pointer(buf), buf.capacity()), "set input " + s.name());
        }
        check(TfLiteInterpreterInvoke(interpreter), "run");
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (int i = 0; i < outputs.size(); i++) {
            TfLiteTensor t = TfLiteInterpreterGetOutputTensor(interpreter, i);
            ByteBuffer buf = ByteBuffer.allocateDirect((int) TfLiteTensorByteSize(t)).order(ByteOrder.nativeOrder());
            check(TfLiteTensorCopyToBuffer(t, new Pointer(buf), buf.capacity()), "read output");
            int type = TfLiteTensorType(t);
            long[] shape = dims(t);
            int n = 1;
            for (long d : shape) {
                n *= (int) d;
            }
            float[] f = new float[n];
            switch (type) {
                case kTfLiteFloat32 -> buf.asFloatBuffer().get(f);
                case kTfLiteInt8, kTfLiteUInt8 -> {
                    TfLiteQuantizationParams q = TfLiteTensorQuantizationParams(t);
                    for (int j = 0; j < n; j++) {
                        int raw = type == kTfLiteInt8 ? buf.get(j) : buf.get(j) & 0xFF;
                        f[j] = q.scale() * (raw - q.zero_point());
                    }
                }
                case kTfLiteInt32 -> {
                    for (int j = 0; j < n; j++) {
                        f[j] = buf.getInt(j * 4);
                    }
                }
                case kTfLiteInt64 -> {
                    for (int j = 0; j < n; j++) {
                        f[j] = buf.getLong(j * 8);
                    }
                }
                default -> throw new IllegalStateException("output of " + file + " is " + typeName(type));
            }
            out.put(outputs.get(i).name(), Tensor.of(f, shape));
        }
        return out;
    }

    private void check(int status, String what) {
        if (status != kTfLiteOk) {
            throw new EdgeFitException(EdgeFitException.Kind.UNSUPPORTED_OPERATOR, file + ": TensorFlow Lite could not " + what
                    + " (" + errorText() + ").");
        }
    }

    @Override
    public synchronized void close() {
        if (interpreter != null && !interpreter.isNull()) {
            TfLiteInterpreterDelete(interpreter);
            interpreter.setNull();
        }
        if (options != null && !options.isNull()) {
            TfLiteInterpreterOptionsDelete(options);
            options.setNull();
        }
        if (model != null && !model.isNull()) {
            TfLiteModelDelete(model);
            model.setNull();
        }
        free();
    }

    private void free() {
        if (!modelData.isNull()) {
            Pointer.free(modelData);
            modelData.setNull();
        }
    }
}
