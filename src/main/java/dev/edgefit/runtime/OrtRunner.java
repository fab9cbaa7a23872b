package dev.edgefit.runtime;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.edgefit.common.EdgeFitException;
import dev.edgefit.model.DType;
import dev.edgefit.model.TensorSpec;

import java.nio.ByteBuffer;
import java.nio.DoubleBuffer;
import java.nio.ShortBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Runs an .onnx or .ort file with ONNX Runtime's CPU provider. */
public final class OrtRunner implements Runner {
    private static final Pattern NO_KERNEL = Pattern.compile("Could not find an implementation for (\\w+)\\((\\d+)\\) node with name '([^']*)'");
    private static final Pattern NO_SCHEMA = Pattern.compile("No opset import for domain '([^']*)'|No Op registered for (\\w+) with domain_version of (\\d+)");

    private final Path file;
    private final OrtSession session;
    private final List<TensorSpec> inputs;
    private final List<TensorSpec> outputs;

    public OrtRunner(Path file, RunnerOptions options) {
        this(file, open(file, null, options, null, false));
    }

    private OrtRunner(Path file, OrtSession session) {
        this.file = file;
        this.session = session;
        this.inputs = specs(session, true);
        this.outputs = specs(session, false);
    }

    /**
     * A runner over a snapshot held in memory, for work inside a technique (calibration). Measurements of an
     * artifact always load the written file instead.
     */
    public static OrtRunner inMemory(dev.edgefit.model.ModelSnapshot model, RunnerOptions options) {
        Path name = model.origin() != null ? model.origin() : Path.of(model.label());
        return new OrtRunner(name, open(name, model.proto().toByteArray(), options, null, false));
    }

    private static volatile OrtEnvironment environment;

    /**
     * The process-wide ONNX Runtime environment. It is created on a thread with an 8 MiB stack: loading the
     * native library and creating the environment overflowed the default 1 MiB stack of a JVM main thread
     * with a long classpath, and the JVM died with a segmentation fault.
     */
    public static OrtEnvironment env() {
        OrtEnvironment e = environment;
        if (e != null) {
            return e;
        }
        synchronized (OrtRunner.class) {
            if (environment == null) {
                OrtEnvironment[] box = new OrtEnvironment[1];
                RuntimeException[] err = new RuntimeException[1];
                Thread t = new Thread(null, () -> {
                    try {
                        // FATAL only: ONNX Runtime's error lines would reach the terminal on the process's own stderr,
                        // and what they say is in the exception EdgeFit turns into its one sentence
                        box[0] = OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL, "edgefit");
                    } catch (RuntimeException ex) {
                        err[0] = ex;
                    }
                }, "edgefit-ort-init", 8L << 20);
                t.start();
                try {
                    t.join();
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new EdgeFitException(EdgeFitException.Kind.CANCELLED, "Interrupted while starting ONNX Runtime.");
                }
                if (err[0] != null) {
                    throw new EdgeFitException(EdgeFitException.Kind.INTERNAL, "ONNX Runtime could not start: " + err[0].getMessage(), err[0]);
                }
                environment = box[0];
                OrtNativeFolder.removeExtracted();
            }
            return environment;
        }
    }

    public static String version() {
        return "onnxruntime " + env().getVersion() + " (CPU)";
    }

    /**
     * Lets ONNX Runtime optimise {@code source} at {@code level} (BASIC or EXTENDED: portable) and write the
     * result to {@code target}, as ONNX or, with {@code ortFormat}, as ORT format for ONNX Runtime Mobile.
     */
    public static void writeOptimized(Path source, Path target, RunnerOptions.OptLevel level, boolean ortFormat) {
        if (level == RunnerOptions.OptLevel.ALL) {
            throw EdgeFitException.badParameter("Optimisation level ALL makes hardware-specific graphs; use BASIC or EXTENDED for an artifact.");
        }
        OrtSession s = open(source, null, new RunnerOptions(1, level), target, ortFormat);
        try {
            s.close();
        } catch (OrtException e) {
            throw new EdgeFitException(EdgeFitException.Kind.INTERNAL, source + ": ONNX Runtime failed to close a session.", e);
        }
    }

    /**
     * The graph as ONNX Runtime prepares it to run on this machine at {@code level}. Even at NONE this shows its
     * mandatory changes, such as the Casts to float32 it inserts around float16 nodes for which its CPU provider has
     * no float16 kernel. ONNX Runtime writes the graph to a scratch file, which is read back and deleted.
     */
    public static dev.edgefit.model.ModelSnapshot prepared(dev.edgefit.model.ModelSnapshot model, RunnerOptions.OptLevel level) {
        if (level == RunnerOptions.OptLevel.ALL) {
            throw EdgeFitException.badParameter("Optimisation level ALL makes hardware-specific graphs; use NONE, BASIC or EXTENDED.");
        }
        Path name = model.origin() != null ? model.origin() : Path.of(model.label());
        Path tmp = null;
        try {
            tmp = java.nio.file.Files.createTempFile("edgefit-prepared", ".onnx");
            open(name, model.proto().toByteArray(), new RunnerOptions(1, level), tmp, false).close();
            dev.edgefit.model.ModelSnapshot p = dev.edgefit.model.OnnxModels.load(tmp);
            return model.derive(p.proto(), model.label());
        } catch (java.io.IOException e) {
            throw EdgeFitException.io(tmp == null ? Path.of(System.getProperty("java.io.tmpdir")) : tmp,
                    "could not hold ONNX Runtime's prepared graph (" + e.getMessage() + ").", e);
        } catch (OrtException e) {
            throw new EdgeFitException(EdgeFitException.Kind.INTERNAL, name + ": ONNX Runtime failed to close a session.", e);
        } finally {
            if (tmp != null) {
                try {
                    java.nio.file.Files.deleteIfExists(tmp);
                } catch (java.io.IOException ignored) {
                    // a scratch file in the temp folder; nothing the user can act on
                }
            }
        }
    }

    private static OrtSession open(Path file, byte[] bytes, RunnerOptions options, Path optimizedOut, boolean ortFormat) {
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL);
            if (options.threads() > 0) {
                so.setIntraOpNumThreads(options.threads());
                so.setInterOpNumThreads(1);
            }
            so.setOptimizationLevel(switch (options.optLevel()) {
                case NONE -> OrtSession.SessionOptions.OptLevel.NO_OPT;
                case BASIC -> OrtSession.SessionOptions.OptLevel.BASIC_OPT;
                case EXTENDED -> OrtSession.SessionOptions.OptLevel.EXTENDED_OPT;
                case ALL -> OrtSession.SessionOptions.OptLevel.ALL_OPT;
            });
            if (optimizedOut != null) {
                so.setOptimizedModelFilePath(optimizedOut.toAbsolutePath().toString());
                if (ortFormat) {
                    so.addConfigEntry("session.save_model_format", "ORT");
                }
            }
            return bytes != null ? env().createSession(bytes, so) : env().createSession(file.toAbsolutePath().toString(), so);
        } catch (OrtException e) {
            throw translate(file, e);
        }
    }

    /** Turns an ONNX Runtime error into one sentence naming the file and what is wrong. */
    static EdgeFitException translate(Path file, OrtException e) {
        String m = String.valueOf(e.getMessage());
        Matcher k = NO_KERNEL.matcher(m);
        if (k.find()) {
            return new EdgeFitException(EdgeFitException.Kind.UNSUPPORTED_OPERATOR, file + ": operator " + k.group(1)
                    + " (opset " + k.group(2) + ", node '" + k.group(3) + "') is not supported by " + version() + ".", e);
        }
        Matcher s = NO_SCHEMA.matcher(m);
        if (s.find()) {
            String what = s.group(1) != null ? "operators of domain '" + s.group(1) + "'" : "operator " + s.group(2) + " (opset " + s.group(3) + ")";
            return new EdgeFitException(EdgeFitException.Kind.UNSUPPORTED_OPERATOR, file + ": " + what + " is not supported by " + version() + ".", e);
        }
        if (m.contains("Protobuf parsing failed") || m.contains("INVALID_PROTOBUF")) {
            return EdgeFitException.badModel(file, "is not a valid ONNX model (ONNX Runtime could not parse it).", e);
        }
        if (m.contains("NO_SUCHFILE") || m.contains("No such file")) {
            return EdgeFitException.badModel(file, "does not exist.", e);
        }
        String line = m.replaceAll("\\s+", " ").trim();
        int cut = line.indexOf(" Stacktrace");
        if (cut > 0) {
            line = line.substring(0, cut);
        }
        if (line.length() > 300) {
            line = line.substring(0, 300) + "...";
        }
        return EdgeFitException.badModel(file, "ONNX Runtime could not load or run it: " + line, e);
    }

    /**
     * A run that ONNX Runtime refused: the usual sentence for an unsupported operator, else one that names the inputs
     * with the types and shapes they were given and says how to give others.
     */
    static EdgeFitException runFailed(Path file, Map<String, Tensor> in, OrtException e) {
        EdgeFitException t = translate(file, e);
        if (t.kind() != EdgeFitException.Kind.BAD_MODEL) {
            return t;
        }
        StringBuilder fed = new StringBuilder();
        for (Map.Entry<String, Tensor> x : in.entrySet()) {
            long[] sh = x.getValue().shape();
            StringBuilder d = new StringBuilder();
            for (long v : sh) {
                d.append(d.length() == 0 ? "" : "x").append(v);
            }
            fed.append(fed.length() == 0 ? "" : ", ").append('\'').append(x.getKey()).append("' ").append(x.getValue().dtype().label())
                    .append('[').append(d).append(']');
        }
        return new EdgeFitException(EdgeFitException.Kind.BAD_MODEL, file + ": ONNX Runtime could not run it on inputs " + fed + " ("
                + detail(e) + "); give other shapes with --shape NAME=DIMS or values with --input NAME=VALUE|FILE.npy.", e);
    }

    /** ONNX Runtime's message on one line, without its stack trace, at most 300 characters. */
    private static String detail(OrtException e) {
        String line = String.valueOf(e.getMessage()).replaceAll("\\s+", " ").trim();
        int cut = line.indexOf(" Stacktrace");
        if (cut > 0) {
            line = line.substring(0, cut);
        }
        line = line.replaceFirst("^Error code - ORT_\\w+ - message: ", "");
        if (line.length() > 300) {
            line = line.substring(0, 300) + "...";
        }
        return line;
    }

    private static List<TensorSpec> specs(OrtSession s, boolean in) {
        try {
            Map<String, NodeInfo> info = in ? s.getInputInfo() : s.getOutputInfo();
            List<TensorSpec> out = new ArrayList<>();
            for (NodeInfo n : info.values()) {
                if (n.getInfo() instanceof TensorInfo ti) {
                    String[] names = ti.getDimensionNames();
                    out.add(new TensorSpec(n.getName(), dtype(ti.type), ti.getShape(),
                            names == null ? List.of() : Arrays.asList(names)));
                }
            }
            return out;
        } catch (OrtException e) {
            throw new EdgeFitException(EdgeFitException.Kind.INTERNAL, "ONNX Runtime could not describe the model's signature.", e);
        }
    }

    static DType dtype(OnnxJavaType t) {
        return switch (t) {
            case FLOAT -> DType.FLOAT;
            case DOUBLE -> DType.DOUBLE;
            case FLOAT16 -> DType.FLOAT16;
            case BFLOAT16 -> DType.BFLOAT16;
            case INT8 -> DType.INT8;
            case UINT8 -> DType.UINT8;
            case INT16 -> DType.INT16;
            case INT32 -> DType.INT32;
            case INT64 -> DType.INT64;
            case BOOL -> DType.BOOL;
            case STRING -> DType.STRING;
            default -> DType.UNDEFINED;
        };
    }

    @Override
    public String runtimeName() {
        return version();
    }

    @Override
    public List<TensorSpec> inputs() {
        return inputs;
    }

    @Override
    public List<TensorSpec> outputs() {
        return outputs;
    }

    @Override
    public Map<String, Tensor> run(Map<String, Tensor> in) {
        OrtEnvironment env = env();
        Map<String, OnnxTensor> feeds = new HashMap<>();
        for (String name : in.keySet()) {
            if (name.codePoints().anyMatch(Character::isSupplementaryCodePoint)) {
                throw EdgeFitException.badModel(file, "input '" + name + "' is named with characters outside Unicode's Basic Multilingual "
                        + "Plane (such as emoji), which ONNX Runtime's Java API cannot pass to the runtime; rename the input.");
            }
        }
        try {
            for (Map.Entry<String, Tensor> e : in.entrySet()) {
                feeds.put(e.getKey(), toOrt(env, e.getValue()));
            }
            long limit = RunTimeout.seconds();
            try (OrtSession.RunOptions ro = new OrtSession.RunOptions();
                 RunTimeout.Watch watch = RunTimeout.watch(ro, limit);
                 OrtSession.Result r = runOrTimeout(feeds, ro, watch, limit)) {
                Map<String, Tensor> out = new LinkedHashMap<>();
                for (Map.Entry<String, OnnxValue> e : r) {
                    if (e.getValue() instanceof OnnxTensor t) {
                        out.put(e.getKey(), fromOrt(t));
                    }
                }
                return out;
            }
        } catch (OrtException e) {
            throw runFailed(file, in, e);
        } finally {
            feeds.values().forEach(OnnxTensor::close);
        }
    }

    /** One run, stopped by {@code watch} after {@code limit} seconds; a stopped run is one sentence naming the limit. */
    private OrtSession.Result runOrTimeout(Map<String, OnnxTensor> feeds, OrtSession.RunOptions ro, RunTimeout.Watch watch, long limit)
            throws OrtException {
        try {
            return session.run(feeds, ro);
        } catch (OrtException e) {
            if (watch.fired()) {
                throw RunTimeout.exceeded(file, limit, e);
            }
            throw e;
        }
    }

    static OnnxTensor toOrt(OrtEnvironment env, Tensor t) throws OrtException {
        long[] shape = t.shape();
        Object d = t.data();
        return switch (t.dtype()) {
            case FLOAT -> OnnxTensor.createTensor(env, FloatBuffer.wrap((float[]) d), shape);
            case FLOAT16 -> OnnxTensor.createTensor(env, ShortBuffer.wrap((short[]) d), shape, OnnxJavaType.FLOAT16);
            case DOUBLE -> OnnxTensor.createTensor(env, DoubleBuffer.wrap((double[]) d), shape);
            case INT64 -> OnnxTensor.createTensor(env, LongBuffer.wrap((long[]) d), shape);
            case INT32 -> OnnxTensor.createTensor(env, IntBuffer.wrap((int[]) d), shape);
            case INT8 -> OnnxTensor.createTensor(env, ByteBuffer.wrap((byte[]) d), shape, OnnxJavaType.INT8);
            case UINT8 -> OnnxTensor.createTensor(env, ByteBuffer.wrap((byte[]) d), shape, OnnxJavaType.UINT8);
            case BOOL -> OnnxTensor.createTensor(env, ByteBuffer.wrap((byte[]) d), shape, OnnxJavaType.BOOL);
            default -> throw EdgeFitException.badParameter("Inputs of type " + t.dtype().label() + " are not supported yet.");
        };
    }

    private static Tensor fromOrt(OnnxTensor t) {
        TensorInfo info = t.getInfo();
        long[] shape = info.getShape();
        int n = Math.toIntExact(info.getNumElements());
        return switch (info.type) {
            case FLOAT, FLOAT16, BFLOAT16, DOUBLE -> {
                float[] f = new float[n];
                if (info.type == OnnxJavaType.DOUBLE) {
                    var db = t.getDoubleBuffer();
                    for (int i = 0; i < n; i++) {
                        f[i] = (float) db.get(i);
                    }
                } else {
                    t.getFloatBuffer().get(f);
                }
                yield Tensor.of(f, shape);
            }
            case INT64 -> {
                long[] l = new long[n];
                t.getLongBuffer().get(l);
                yield Tensor.of(l, shape);
            }
            case INT32 -> {
                int[] a = new int[n];
                t.getIntBuffer().get(a);
                yield Tensor.of(a, shape);
            }
            case INT8, UINT8, BOOL -> {
                byte[] b = new byte[n];
                t.getByteBuffer().get(b);
                yield new Tensor(dtype(info.type), shape, b);
            }
            default -> throw new EdgeFitException(EdgeFitException.Kind.UNSUPPORTED_OPERATOR, "Outputs of type " + info.type + " are not supported yet.");
        };
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            // closing a session only frees native memory; nothing the user can act on
        }
    }
}
