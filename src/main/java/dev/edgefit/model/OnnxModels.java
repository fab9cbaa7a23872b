package dev.edgefit.model;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import dev.edgefit.common.AtomicFiles;
import dev.edgefit.common.EdgeFitException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Loads and saves ONNX models. Loading never writes; saving is atomic. Tensors stored as external data
 * are read into memory, and their paths must stay inside the model's folder. Every loaded graph is normalised
 * ({@link GraphNormalizer}: Constant-node weights become initializers), so every consumer reads weights one way.
 */
public final class OnnxModels {
    /** Protobuf cannot hold messages of 2 GiB or more; above this, tensors go to an external data file. */
    public static final long INLINE_LIMIT = 1_800_000_000L;

    private OnnxModels() {
    }

    public static ModelSnapshot load(Path file) {
        ModelProto proto;
        if (!Files.isRegularFile(file)) {
            throw EdgeFitException.badModel(file, Files.exists(file) ? "is not a regular file." : "does not exist.");
        }
        try (InputStream in = Files.newInputStream(file)) {
            CodedInputStream cis = CodedInputStream.newInstance(in);
            cis.setSizeLimit(Integer.MAX_VALUE);
            cis.setRecursionLimit(1000);
            proto = ModelProto.parseFrom(cis);
        } catch (InvalidProtocolBufferException e) {
            String m = String.valueOf(e.getMessage());
            if (m.contains("too many levels of nesting")) {
                throw EdgeFitException.badModel(file, "nests messages (subgraphs of If/Loop/Scan) too deeply to be read; EdgeFit refuses such graphs.", e);
            }
            if ((m.contains("ended unexpectedly") || m.contains("truncated")) && startsLikeOnnx(file)) {
                throw EdgeFitException.badModel(file, "is truncated or damaged: the ONNX data ends before the model does.", e);
            }
            throw EdgeFitException.badModel(file, "is not an ONNX model (it could not be read as ONNX protobuf).", e);
        } catch (NoSuchFileException e) {
            throw EdgeFitException.badModel(file, "does not exist.", e);
        } catch (IOException e) {
            throw EdgeFitException.io(file, "could not be read (" + e.getMessage() + ").", e);
        }
        if (proto.getIrVersion() <= 0 || !proto.hasGraph() || proto.getGraph().getNodeCount() == 0
                || proto.getOpsetImportCount() == 0) {
            throw EdgeFitException.badModel(file, "is not an ONNX model (no IR version, graph or opset found).");
        }
        ModelLimits.checkDepth(file, proto);
        proto = GraphNormalizer.normalize(resolveExternalData(file, proto));
        ModelLimits.checkTensors(file, proto);
        String name = file.getFileName().toString();
        return new ModelSnapshot(proto, file.toAbsolutePath(), name);
    }

    /** ONNX files begin with field 1 (ir_version, a varint): tag byte 0x08. */
    private static boolean startsLikeOnnx(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return in.read() == 0x08;
        } catch (IOException e) {
            return false;
        }
    }

    private static ModelProto resolveExternalData(Path file, ModelProto proto) {
        GraphProto g = proto.getGraph();
        boolean any = g.getInitializerList().stream()
                .anyMatch(t -> t.getDataLocation() == TensorProto.DataLocation.EXTERNAL);
        if (!any) {
            return proto;
        }
        Path dir = file.toAbsolutePath().getParent();
        GraphProto.Builder gb = g.toBuilder();
        for (int i = 0; i < gb.getInitializerCount(); i++) {
            TensorProto t = gb.getInitializer(i);
            if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
                gb.setInitializer(i, readExternal(file, dir, t));
            }
        }
        return proto.toBuilder().setGraph(gb).build();
    }

    private static TensorProto readExternal(Path modelFile, Path dir, TensorProto t) {
        String location = null;
        long offset = 0;
        long length = -1;
        for (StringStringEntryProto e : t.getExternalDataList()) {
            switch (e.getKey()) {
                case "location" -> location = e.getValue();
                case "offset" -> offset = parseLong(modelFile, t, e.getValue());
                case "length" -> length = parseLong(modelFile, t, e.getValue());
                default -> { }
            }
        }
        if (location == null || location.isEmpty()) {
            throw EdgeFitException.badModel(modelFile, "tensor '" + t.getName() + "' is stored externally but names no file.");
        }
        Path target = checkedExternalPath(modelFile, dir, t.getName(), location);
        if (offset < 0 || length < -1 || (length == -1 && hasLength(t))) {
            throw EdgeFitException.badModel(modelFile, "tensor '" + t.getName() + "' has a negative external-data "
                    + (offset < 0 ? "offset (" + offset + ")" : "length") + ".");
        }
        if (Files.exists(target) && !Files.isRegularFile(target)) {
            throw EdgeFitException.badModel(modelFile, "tensor '" + t.getName() + "' is stored in " + location
                    + ", which is not a regular file (a folder, device or pipe); EdgeFit reads external data only from files.");
        }
        try (FileChannel ch = FileChannel.open(target, StandardOpenOption.READ)) {
            long size = ch.size();
            long expected = ModelLimits.expectedBytes(modelFile, t, DType.fromOnnx(t.getDataType()));
            long len = length >= 0 ? length : expected;
            if (offset > size || len > size - offset) {
                throw EdgeFitException.badModel(modelFile, "tensor '" + t.getName() + "' needs " + len + " bytes from offset " + offset
                        + " of " + location + ", which holds only " + size + " bytes.");
            }
            if (len > Integer.MAX_VALUE - 8) {
                throw EdgeFitException.badModel(modelFile, "tensor '" + t.getName() + "' stores " + len
                        + " bytes externally; EdgeFit reads tensors of up to 2 GiB.");
            }
            ByteBuffer buf = ByteBuffer.allocate(Math.toIntExact(len));
            long pos = offset;
            while (buf.hasRemaining()) {
                int r = ch.read(buf, pos);
                if (r < 0) {
                    break;
                }
                pos += r;
            }
            buf.flip();
            return t.toBuilder().clearExternalData().clearDataLocation()
                    .setRawData(UnsafeByteOperations.unsafeWrap(buf)).build();
        } catch (NoSuchFileException e) {
            throw EdgeFitException.badModel(modelFile, "tensor '" + t.getName() + "' is stored in " + location + ", which does not exist.", e);
        } catch (IOException e) {
            throw EdgeFitException.io(target, "could not be read (" + e.getMessage() + ").", e);
        }
    }

    private static boolean hasLength(TensorProto t) {
        return t.getExternalDataList().stream().anyMatch(e -> e.getKey().equals("length"));
    }

    /** Resolves an external-data location, refusing any path that leaves the model's folder. */
    static Path checkedExternalPath(Path modelFile, Path dir, String tensor, String location) {
        Path rel;
        try {
            rel = Path.of(location);
        } catch (java.nio.file.InvalidPathException e) {
            throw EdgeFitException.badModel(modelFile, "tensor '" + tensor + "' names its external data file with characters no path can hold ("
                    + location.replace("\0", "\\0") + ").", e);
        }
        Path resolved = dir.resolve(rel).normalize();
        boolean escapes = rel.isAbsolute() || !resolved.startsWith(dir.normalize());
        if (!escapes && Files.exists(resolved)) {
            try {
                escapes = !resolved.toRealPath().startsWith(dir.toRealPath());
            } catch (IOException e) {
                escapes = true;
            }
        }
        if (escapes) {
            throw EdgeFitException.badModel(modelFile, "tensor '" + tensor + "' points to external data at '" + location
                    + "', outside the model's folder; EdgeFit reads external data only from the model's own folder.");
        }
        return resolved;
    }

    private static long parseLong(Path file, TensorProto t, String v) {
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw EdgeFitException.badModel(file, "tensor '" + t.getName() + "' has a bad external-data number '" + v + "'.");
        }
    }

    /** Saves atomically; models too large for one protobuf message keep their big tensors in FILE.data. */
    public static void save(ModelSnapshot model, Path file) {
        if (model.proto().getSerializedSize() < 0 || model.proto().getSerializedSize() > INLINE_LIMIT) {
            saveWithExternalData(model, file, 1024);
        } else {
            ModelProto p = model.proto();
            AtomicFiles.write(file, out -> writeDelimitedFree(p, out));
        }
    }

    private static void writeDelimitedFree(ModelProto p, OutputStream out) throws IOException {
        CodedOutputStream cos = CodedOutputStream.newInstance(out, 1 << 16);
        p.writeTo(cos);
        cos.flush();
    }

    /**
     * Saves the model with every tensor of at least {@code minBytes} bytes in a side file named
     * FILE.data in the same folder, as ONNX's external data format describes.
     */
    public static void saveWithExternalData(ModelSnapshot model, Path file, long minBytes) {
        String dataName = file.getFileName() + ".data";
        Path dataFile = file.resolveSibling(dataName);
        GraphProto.Builder gb = model.graph().toBuilder();
        List<ByteString> chunks = new ArrayList<>();
        long offset = 0;
        for (int i = 0; i < gb.getInitializerCount(); i++) {
            TensorProto t = gb.getInitializer(i);
            ByteString raw = t.getRawData();
            if (raw.size() < minBytes) {
                continue;
            }
            long pad = (4096 - offset % 4096) % 4096;
            if (pad > 0) {
                chunks.add(ByteString.copyFrom(new byte[(int) pad]));
                offset += pad;
            }
            chunks.add(raw);
            gb.setInitializer(i, t.toBuilder().clearRawData().setDataLocation(TensorProto.DataLocation.EXTERNAL)
                    .addExternalData(kv("location", dataName))
                    .addExternalData(kv("offset", Long.toString(offset)))
                    .addExternalData(kv("length", Long.toString(raw.size()))));
            offset += raw.size();
        }
        AtomicFiles.write(dataFile, out -> {
            for (ByteString c : chunks) {
                c.writeTo(out);
            }
        });
        ModelProto p = model.proto().toBuilder().setGraph(gb).build();
        AtomicFiles.write(file, out -> writeDelimitedFree(p, out));
    }

    private static StringStringEntryProto kv(String k, String v) {
        return StringStringEntryProto.newBuilder().setKey(k).setValue(v).build();
    }

    /** Serialized bytes of the model (for models below the protobuf limit). */
    public static byte[] toBytes(ModelSnapshot model) {
        return model.proto().toByteArray();
    }
}
