package dev.edgefit.export.tflite;

import com.google.flatbuffers.FlatBufferBuilder;
import dev.edgefit.export.tflite.TfliteSchema.Op;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A TFLite model held as plain Java objects (buffers, tensors, operators of one subgraph) and encoded as the TFLite
 * flatbuffer with flatbuffers-java's builder. Buffer 0 is the empty sentinel the schema requires; constant data is
 * aligned to 16 bytes as the schema asks.
 */
public final class TfliteModelWriter {

    /** Quantization parameters: real = scale * (q - zeroPoint), per tensor (one value) or along {@code dimension}. */
    public record Quant(float[] scale, long[] zeroPoint, int dimension) {
        public static Quant perTensor(float scale, long zeroPoint) {
            return new Quant(new float[] {scale}, new long[] {zeroPoint}, 0);
        }
    }

    public record TensorDef(String name, int[] shape, byte type, int buffer, Quant quant) {
    }

    public record OpDef(Op op, int version, int[] inputs, int[] outputs, Options options) {
    }

    /** A builtin options table: its union type code and how to write it. */
    public interface Options {
        byte type();

        int write(FlatBufferBuilder b);
    }

    private final List<byte[]> buffers = new ArrayList<>();
    private final List<TensorDef> tensors = new ArrayList<>();
    private final List<OpDef> ops = new ArrayList<>();
    private int[] inputs = new int[0];
    private int[] outputs = new int[0];
    private final Map<String, byte[]> metadata = new LinkedHashMap<>();

    public TfliteModelWriter() {
        buffers.add(new byte[0]);
    }

    /** A tensor; {@code data} null for an activation, else its little-endian bytes. Returns its index. */
    public int addTensor(String name, int[] shape, byte type, byte[] data, Quant quant) {
        int buffer = 0;
        if (data != null) {
            buffers.add(data);
            buffer = buffers.size() - 1;
        }
        tensors.add(new TensorDef(name, shape.clone(), type, buffer, quant));
        return tensors.size() - 1;
    }

    /** Gives a tensor another name (e.g. the source model's output name once its final layout is known). */
    public void rename(int index, String name) {
        TensorDef t = tensors.get(index);
        tensors.set(index, new TensorDef(name, t.shape(), t.type(), t.buffer(), t.quant()));
    }

    public TensorDef tensor(int index) {
        return tensors.get(index);
    }

    public List<TensorDef> tensors() {
        return List.copyOf(tensors);
    }

    public List<OpDef> operators() {
        return List.copyOf(ops);
    }

    public byte[] data(TensorDef t) {
        return buffers.get(t.buffer());
    }

    public void addOperator(Op op, int version, int[] in, int[] out, Options options) {
        ops.add(new OpDef(op, version, in.clone(), out.clone(), options));
    }

    public void setInputs(int... in) {
        inputs = in.clone();
    }

    public void setOutputs(int... out) {
        outputs = out.clone();
    }

    public int[] inputs() {
        return inputs.clone();
    }

    public int[] outputs() {
        return outputs.clone();
    }

    /** A named metadata entry (stored in its own buffer), e.g. EdgeFit's description of the inputs' layout. */
    public void addMetadata(String name, byte[] data) {
        metadata.put(name, data);
    }

    /** The distinct operator codes in first-use order. */
    public List<Op> opCodes() {
        List<Op> codes = new ArrayList<>();
        for (OpDef o : ops) {
            if (!codes.contains(o.op())) {
                codes.add(o.op());
            }
        }
        return codes;
    }

    public byte[] serialize(String description) {
        FlatBufferBuilder b = new FlatBufferBuilder(1 << 16);
        List<byte[]> allBuffers = new ArrayList<>(buffers);
        List<int[]> metaRefs = new ArrayList<>();
        List<String> metaNames = new ArrayList<>();
        metadata.forEach((k, v) -> {
            allBuffers.add(v);
            metaNames.add(k);
            metaRefs.add(new int[] {allBuffers.size() - 1});
        });

        int[] bufferOffsets = new int[allBuffers.size()];
        for (int i = 0; i < allBuffers.size(); i++) {
            byte[] d = allBuffers.get(i);
            int data = 0;
            if (d.length > 0) {
                ByteBuffer v = b.createUnintializedVector(1, d.length, 16);
                v.put(d);
                data = b.endVector();
            }
            b.startTable(TfliteSchema.Buffer.FIELDS);
            if (data != 0) {
                b.addOffset(TfliteSchema.Buffer.DATA, data, 0);
            }
            bufferOffsets[i] = b.endTable();
        }

        int[] tensorOffsets = new int[tensors.size()];
        for (int i = 0; i < tensors.size(); i++) {
            TensorDef t = tensors.get(i);
            int shape = intVector(b, t.shape());
            int name = b.createString(t.name());
            int q = 0;
            if (t.quant() != null) {
                int scale = floatVector(b, t.quant().scale());
                int zp = longVector(b, t.quant().zeroPoint());
                b.startTable(TfliteSchema.Quantization.FIELDS);
                b.addOffset(TfliteSchema.Quantization.SCALE, scale, 0);
                b.addOffset(TfliteSchema.Quantization.ZERO_POINT, zp, 0);
                b.addInt(TfliteSchema.Quantization.QUANTIZED_DIMENSION, t.quant().dimension(), 0);
                q = b.endTable();
            }
            b.startTable(TfliteSchema.Tensor.FIELDS);
            b.addOffset(TfliteSchema.Tensor.SHAPE, shape, 0);
            b.addByte(TfliteSchema.Tensor.TYPE, t.type(), 0);
            b.addInt(TfliteSchema.Tensor.BUFFER, t.buffer(), 0);
            b.addOffset(TfliteSchema.Tensor.NAME, name, 0);
            if (q != 0) {
                b.addOffset(TfliteSchema.Tensor.QUANTIZATION, q, 0);
            }
            b.addBoolean(TfliteSchema.Tensor.HAS_RANK, true, false);
            tensorOffsets[i] = b.endTable();
        }

        List<Op> codes = opCodes();
        int[] opOffsets = new int[ops.size()];
        for (int i = 0; i < ops.size(); i++) {
            OpDef o = ops.get(i);
            int in = intVector(b, o.inputs());
            int out = intVector(b, o.outputs());
            int opt = o.options() == null ? 0 : o.options().write(b);
            b.startTable(TfliteSchema.Operator.FIELDS);
            b.addInt(TfliteSchema.Operator.OPCODE_INDEX, codes.indexOf(o.op()), 0);
            b.addOffset(TfliteSchema.Operator.INPUTS, in, 0);
            b.addOffset(TfliteSchema.Operator.OUTPUTS, out, 0);
            if (o.options() != null) {
                b.addByte(TfliteSchema.Operator.BUILTIN_OPTIONS_TYPE, o.options().type(), 0);
                b.addOffset(TfliteSchema.Operator.BUILTIN_OPTIONS, opt, 0);
            }
            opOffsets[i] = b.endTable();
        }

        // one code per operator type, at the highest version any of its uses needs
        int[] codeOffsets = new int[codes.size()];
        for (int i = 0; i < codes.size(); i++) {
            Op op = codes.get(i);
            int version = ops.stream().filter(o -> o.op() == op).mapToInt(OpDef::version).max().orElse(1);
            b.startTable(TfliteSchema.OperatorCode.FIELDS);
            b.addByte(TfliteSchema.OperatorCode.DEPRECATED_BUILTIN_CODE, (byte) Math.min(op.code, 127), 0);
            b.addInt(TfliteSchema.OperatorCode.VERSION, version, 1);
            b.addInt(TfliteSchema.OperatorCode.BUILTIN_CODE, op.code, 0);
            codeOffsets[i] = b.endTable();
        }

        int tensorsVec = b.createVectorOfTables(tensorOffsets);
        int inputsVec = intVector(b, inputs);
        int outputsVec = intVector(b, outputs);
        int opsVec = b.createVectorOfTables(opOffsets);
        int sgName = b.createString("main");
        b.startTable(TfliteSchema.SubGraph.FIELDS);
        b.addOffset(TfliteSchema.SubGraph.TENSORS, tensorsVec, 0);
        b.addOffset(TfliteSchema.SubGraph.INPUTS, inputsVec, 0);
        b.addOffset(TfliteSchema.SubGraph.OUTPUTS, outputsVec, 0);
        b.addOffset(TfliteSchema.SubGraph.OPERATORS, opsVec, 0);
        b.addOffset(TfliteSchema.SubGraph.NAME, sgName, 0);
        int subgraph = b.endTable();

        int sigIn = b.createVectorOfTables(tensorMaps(b, inputs));
        int sigOut = b.createVectorOfTables(tensorMaps(b, outputs));
        int sigKey = b.createString("serving_default");
        b.startTable(TfliteSchema.SignatureDef.FIELDS);
        b.addOffset(TfliteSchema.SignatureDef.INPUTS, sigIn, 0);
        b.addOffset(TfliteSchema.SignatureDef.OUTPUTS, sigOut, 0);
        b.addOffset(TfliteSchema.SignatureDef.SIGNATURE_KEY, sigKey, 0);
        b.addInt(TfliteSchema.SignatureDef.SUBGRAPH_INDEX, 0, 0);
        int signature = b.endTable();

        int[] metaOffsets = new int[metaNames.size()];
        for (int i = 0; i < metaNames.size(); i++) {
            int n = b.createString(metaNames.get(i));
            b.startTable(TfliteSchema.Metadata.FIELDS);
            b.addOffset(TfliteSchema.Metadata.NAME, n, 0);
            b.addInt(TfliteSchema.Metadata.BUFFER, metaRefs.get(i)[0], 0);
            metaOffsets[i] = b.endTable();
        }

        int codesVec = b.createVectorOfTables(codeOffsets);
        int subgraphsVec = b.createVectorOfTables(new int[] {subgraph});
        int desc = b.createString(description);
        int buffersVec = b.createVectorOfTables(bufferOffsets);
        int metaVec = metaOffsets.length == 0 ? 0 : b.createVectorOfTables(metaOffsets);
        int sigVec = b.createVectorOfTables(new int[] {signature});
        b.startTable(TfliteSchema.Model.FIELDS);
        b.addInt(TfliteSchema.Model.VERSION, TfliteSchema.SCHEMA_VERSION, 0);
        b.addOffset(TfliteSchema.Model.OPERATOR_CODES, codesVec, 0);
        b.addOffset(TfliteSchema.Model.SUBGRAPHS, subgraphsVec, 0);
        b.addOffset(TfliteSchema.Model.DESCRIPTION, desc, 0);
        b.addOffset(TfliteSchema.Model.BUFFERS, buffersVec, 0);
        if (metaVec != 0) {
            b.addOffset(TfliteSchema.Model.METADATA, metaVec, 0);
        }
        b.addOffset(TfliteSchema.Model.SIGNATURE_DEFS, sigVec, 0);
        int model = b.endTable();
        b.finish(model, TfliteSchema.FILE_IDENTIFIER);
        return b.sizedByteArray();
    }

    private int[] tensorMaps(FlatBufferBuilder b, int[] indices) {
        int[] out = new int[indices.length];
        for (int i = 0; i < indices.length; i++) {
            int n = b.createString(tensors.get(indices[i]).name());
            b.startTable(TfliteSchema.TensorMap.FIELDS);
            b.addOffset(TfliteSchema.TensorMap.NAME, n, 0);
            b.addInt(TfliteSchema.TensorMap.TENSOR_INDEX, indices[i], 0);
            out[i] = b.endTable();
        }
        return out;
    }

    static int intVector(FlatBufferBuilder b, int[] v) {
        b.startVector(4, v.length, 4);
        for (int i = v.length - 1; i >= 0; i--) {
            b.addInt(v[i]);
        }
        return b.endVector();
    }

    static int floatVector(FlatBufferBuilder b, float[] v) {
        b.startVector(4, v.length, 4);
        for (int i = v.length - 1; i >= 0; i--) {
            b.addFloat(v[i]);
        }
        return b.endVector();
    }

    static int longVector(FlatBufferBuilder b, long[] v) {
        b.startVector(8, v.length, 8);
        for (int i = v.length - 1; i >= 0; i--) {
            b.addLong(v[i]);
        }
        return b.endVector();
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
