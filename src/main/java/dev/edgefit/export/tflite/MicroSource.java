package dev.edgefit.export.tflite;

import dev.edgefit.export.tflite.TfliteModelWriter.OpDef;
import dev.edgefit.export.tflite.TfliteModelWriter.TensorDef;
import dev.edgefit.export.tflite.TfliteSchema.Op;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A full-integer TFLite model for TensorFlow Lite Micro: the flatbuffer as a C++ translation unit (a 16-byte aligned
 * const byte array, so the firmware reads weights from flash in place), a header with the operators the firmware's
 * MicroMutableOpResolver must register, and an estimate of the tensor arena.
 *
 * <p>The arena estimate is planned activations plus persistent data: the activation tensors' lifetimes over the
 * operator order (each alive from the operator that writes it to the last one that reads it; every buffer rounded to
 * 16 bytes), the peak of the bytes alive at once; plus the scratch buffer the largest convolution asks of an optimized
 * kernel library (CMSIS-NN: 2 x kernel height x kernel width x input channels bytes); plus TFLM's bookkeeping: 16
 * bytes per tensor (TfLiteEvalTensor), 64 per operator (node and op data), 8 per output channel of a convolution or
 * fully connected layer (its per-channel multiplier and shift), 64 per input and output (TfLiteTensor), and 1 KiB for
 * the allocator. TFLM's greedy planner can need more than the peak, so the recommended arena adds 25% and rounds up
 * to 1 KiB; {@code MicroInterpreter::arena_used_bytes()} on the device gives the real figure.
 */
public final class MicroSource {
    public static final String SYMBOL = "g_model_data";

    private MicroSource() {
    }

    /** What the firmware needs to know: the arena estimate and its parts, the resolvers to register. */
    public record Plan(long activationBytes, long scratchBytes, long persistentBytes, long estimateBytes, long recommendedBytes,
                       List<String> resolvers, int tensors, int operators) {
        public Map<String, Object> describe() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("arenaEstimateBytes", estimateBytes);
            m.put("arenaRecommendedBytes", recommendedBytes);
            m.put("arenaParts", Map.of("activationBytes", activationBytes, "scratchBytes", scratchBytes, "persistentBytes", persistentBytes));
            m.put("arenaNote", "an estimate: measure with MicroInterpreter::arena_used_bytes() on the device");
            m.put("opResolver", "tflite::MicroMutableOpResolver<" + resolvers.size() + ">");
            m.put("resolvers", resolvers.stream().map(r -> r + "()").toList());
            return m;
        }
    }

    private static long align16(long n) {
        return (n + 15) & ~15L;
    }

    private static long bytes(TensorDef t) {
        long n = TfliteSchema.typeBytes(t.type());
        for (int d : t.shape()) {
            n *= d;
        }
        return n;
    }

    public static Plan plan(TfliteModelWriter w) {
        List<TensorDef> tensors = w.tensors();
        List<OpDef> ops = w.operators();
        int nt = tensors.size();
        int[] first = new int[nt];
        int[] last = new int[nt];
        Arrays.fill(first, Integer.MAX_VALUE);
        Arrays.fill(last, -1);
        for (int in : w.inputs()) {
            first[in] = 0;
        }
        for (int i = 0; i < ops.size(); i++) {
            for (int t : ops.get(i).outputs()) {
                first[t] = Math.min(first[t], i);
                last[t] = Math.max(last[t], i);
            }
            for (int t : ops.get(i).inputs()) {
                if (t >= 0) {
                    last[t] = Math.max(last[t], i);
                }
            }
        }
        for (int out : w.outputs()) {
            last[out] = ops.size();
        }
        long peak = 0;
        for (int i = 0; i < ops.size(); i++) {
            long live = 0;
            for (int t = 0; t < nt; t++) {
                if (tensors.get(t).buffer() == 0 && first[t] <= i && last[t] >= i) {
                    live += align16(bytes(tensors.get(t)));
                }
            }
            peak = Math.max(peak, live);
        }
        long scratch = 0;
        long persistent = 1024 + 16L * nt + 64L * ops.size() + 64L * (w.inputs().length + w.outputs().length);
        for (OpDef o : ops) {
            if (o.op() == Op.CONV_2D || o.op() == Op.DEPTHWISE_CONV_2D || o.op() == Op.FULLY_CONNECTED) {
                int[] ws = tensors.get(o.inputs()[1]).shape();
                int outChannels = o.op() == Op.DEPTHWISE_CONV_2D ? ws[3] : ws[0];
                persistent += 8L * outChannels;
                if (o.op() != Op.FULLY_CONNECTED) {
                    int cin = tensors.get(o.inputs()[0]).shape()[3];
                    scratch = Math.max(scratch, 2L * ws[1] * ws[2] * cin);
                }
            }
        }
        long estimate = peak + align16(scratch) + persistent;
        long recommended = ((long) Math.ceil(estimate * 1.25 / 1024)) * 1024;
        List<String> resolvers = w.opCodes().stream().map(Op::microResolver).sorted().toList();
        return new Plan(peak, align16(scratch), persistent, estimate, recommended, resolvers, nt, ops.size());
    }

    /** The header: the array's declaration, its length, the arena size to start with and the operators to register. */
    public static String header(Plan p, String modelName, int length, TfliteConverter.Result r) {
        StringBuilder s = new StringBuilder();
        s.append("// ").append(modelName).append(" as a full-integer TensorFlow Lite model for TensorFlow Lite Micro, written by EdgeFit.\n");
        s.append("// ").append(length).append(" bytes; input and output are int8:\n");
        for (TfliteConverter.Io io : r.inputs()) {
            s.append(String.format(Locale.ROOT, "//   input  %s %s %s, real = %.9g * (q - (%d))%n", io.name(), io.dtype(), Arrays.toString(io.shape()), io.scale(), io.zeroPoint()));
        }
        for (TfliteConverter.Io io : r.outputs()) {
            s.append(String.format(Locale.ROOT, "//   output %s %s %s, real = %.9g * (q - (%d))%n", io.name(), io.dtype(), Arrays.toString(io.shape()), io.scale(), io.zeroPoint()));
        }
        s.append("#ifndef EDGEFIT_MODEL_DATA_H_\n#define EDGEFIT_MODEL_DATA_H_\n\n");
        s.append("extern const unsigned char ").append(SYMBOL).append("[];\n");
        s.append("extern const unsigned int ").append(SYMBOL).append("_len;\n\n");
        s.append("// Tensor arena: an ESTIMATE of ").append(size(p.estimateBytes())).append(" (activations ").append(p.activationBytes())
                .append(", kernel scratch ").append(p.scratchBytes()).append(", TFLM bookkeeping ").append(p.persistentBytes())
                .append(" bytes),\n// plus 25%: ").append(size(p.recommendedBytes())).append(". Check MicroInterpreter::arena_used_bytes() on the device and adjust.\n");
        s.append("#define EDGEFIT_TENSOR_ARENA_SIZE ").append(p.recommendedBytes()).append("\n\n");
        s.append("// The operators this model uses: register them with a tflite::MicroMutableOpResolver<")
                .append(p.resolvers().size()).append(">, e.g. edgefit_register_ops(resolver).\n");
        s.append("#define EDGEFIT_OP_COUNT ").append(p.resolvers().size()).append("\n");
        s.append("template <typename OpResolver>\ninline void edgefit_register_ops(OpResolver& resolver) {\n");
        for (String res : p.resolvers()) {
            s.append("  resolver.").append(res).append("();\n");
        }
        s.append("}\n\n#endif  // EDGEFIT_MODEL_DATA_H_\n");
        return s.toString();
    }

    /** The translation unit: the model's bytes as a 16-byte aligned const array. */
    public static String source(byte[] bytes, String headerName) {
        StringBuilder s = new StringBuilder(bytes.length * 6 + 512);
        s.append("// TensorFlow Lite flatbuffer (identifier TFL3), written by EdgeFit. Kept in flash: the array is const.\n");
        s.append("#include \"").append(headerName).append("\"\n\n");
        s.append("alignas(16) const unsigned char ").append(SYMBOL).append("[] = {\n");
        for (int i = 0; i < bytes.length; i++) {
            if (i % 12 == 0) {
                s.append("  ");
            }
            s.append(String.format(Locale.ROOT, "0x%02x", bytes[i] & 0xFF));
            if (i < bytes.length - 1) {
                s.append(',');
            }
            s.append(i % 12 == 11 || i == bytes.length - 1 ? "\n" : " ");
        }
        s.append("};\nconst unsigned int ").append(SYMBOL).append("_len = ").append(bytes.length).append(";\n");
        return s.toString();
    }

    /** The bytes of the array in a source written by {@link #source} (to check what was written holds the model). */
    public static byte[] parseSource(String cc) {
        int start = cc.indexOf('{', cc.indexOf(SYMBOL + "[]"));
        int end = cc.indexOf('}', start);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String tok : cc.substring(start + 1, end).split("[,\\s]+")) {
            if (!tok.isEmpty()) {
                out.write(Integer.parseInt(tok.substring(2), 16));
            }
        }
        return out.toByteArray();
    }

    /**
     * A sentence on whether the model and its arena fit a device's flash and RAM, from the device's figures. The arena
     * is {@code EDGEFIT_TENSOR_ARENA_SIZE} (the estimate + 25%), the size the firmware reserves; sizes in binary units.
     */
    public static String fit(Plan p, long modelBytes, String deviceName, long storageBytes, long ramBytes, Long externalRamBytes) {
        String arena = "a tensor arena of " + size(p.recommendedBytes()) + " (EDGEFIT_TENSOR_ARENA_SIZE: the estimate of "
                + size(p.estimateBytes()) + " + 25%)";
        if (deviceName == null) {
            return "No target device chosen: the model needs " + size(modelBytes) + " of flash and " + arena + " of RAM.";
        }
        List<String> parts = new ArrayList<>();
        parts.add(String.format(Locale.ROOT, "model %s of %s flash (%s)", size(modelBytes), size(storageBytes),
                modelBytes <= storageBytes ? "fits" : "does NOT fit"));
        String ram;
        if (p.recommendedBytes() <= ramBytes) {
            ram = "fits in internal RAM";
        } else if (externalRamBytes != null && p.recommendedBytes() <= externalRamBytes) {
            ram = "does not fit in internal RAM; fits in external RAM (" + size(externalRamBytes) + ")";
        } else {
            ram = "does NOT fit";
        }
        parts.add(String.format(Locale.ROOT, "%s of %s RAM (%s)", arena, size(ramBytes), ram));
        return deviceName + ": " + String.join("; ", parts) + " (the arena is an estimate; the runtime and application need flash and RAM too).";
    }

    /** "12.5 KiB (12,800 bytes)": binary units, as device memories are, with the exact count. */
    static String size(long bytes) {
        return String.format(Locale.ROOT, "%s (%,d bytes)", dev.edgefit.device.Constraints.formatBytes(bytes), bytes);
    }
}
