package dev.edgefit.data;

import dev.edgefit.common.EdgeFitException;
import dev.edgefit.model.DType;
import dev.edgefit.runtime.Tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads one NumPy {@code .npy} array (format versions 1 to 3): little-endian float32, float64 (read as float32),
 * float16, int64, int32, uint8, int8 and bool, in C order. No Java library on Maven Central reads .npy files without
 * a deep-learning engine behind it (DJL decodes them only into an engine's NDArray), and the format is a short text
 * header followed by the raw elements, so EdgeFit reads it itself.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");
    private static final long MAX_BYTES = 1L << 31;

    private Npy() {
    }

    /** The array in {@code file}; float16 data is held as its bits (short[]), as {@link Tensor} holds float16. */
    public static Tensor read(Path file) {
        byte[] bytes;
        try {
            if (Files.size(file) > MAX_BYTES) {
                throw EdgeFitException.badDataset(file, "is larger than 2 GiB, more than one input of a model should be.");
            }
            bytes = Files.readAllBytes(file);
        } catch (java.nio.file.NoSuchFileException e) {
            throw EdgeFitException.badDataset(file, "does not exist.");
        } catch (IOException e) {
            throw EdgeFitException.io(file, "could not be read (" + e.getMessage() + ").", e);
        }
        return parse(file, bytes);
    }

    static Tensor parse(Path file, byte[] bytes) {
        if (bytes.length < 10 || !java.util.Arrays.equals(java.util.Arrays.copyOf(bytes, 6), MAGIC)) {
            throw EdgeFitException.badDataset(file, "is not a NumPy .npy file (it does not start with \\x93NUMPY).");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int major = bytes[6];
        long headerLen;
        int start;
        if (major == 1) {
            headerLen = b.getShort(8) & 0xFFFF;
            start = 10;
        } else if (major == 2 || major == 3) {
            if (bytes.length < 12) {
                throw EdgeFitException.badDataset(file, "ends inside its .npy header.");
            }
            headerLen = b.getInt(8) & 0xFFFFFFFFL;
            start = 12;
        } else {
            throw EdgeFitException.badDataset(file, "has .npy format version " + major + "; versions 1 to 3 are read.");
        }
        if (start + headerLen > bytes.length) {
            throw EdgeFitException.badDataset(file, "ends inside its .npy header.");
        }
        String header = new String(bytes, start, (int) headerLen, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Matcher d = DESCR.matcher(header);
        Matcher f = FORTRAN.matcher(header);
        Matcher s = SHAPE.matcher(header);
        if (!d.find() || !f.find() || !s.find()) {
            throw EdgeFitException.badDataset(file, "has a .npy header without descr, fortran_order and shape: " + header.strip());
        }
        if (f.group(1).equals("True")) {
            throw EdgeFitException.badDataset(file, "holds a Fortran-order array; save it in C order (numpy.ascontiguousarray).");
        }
        List<Long> dims = new ArrayList<>();
        long n = 1;
        for (String part : s.group(1).split(",")) {
            if (!part.isBlank()) {
                try {
                    long v = Long.parseLong(part.strip());
                    if (v < 0) {
                        throw new NumberFormatException();
                    }
                    dims.add(v);
                    n = Math.multiplyExact(n, v);
                } catch (NumberFormatException | ArithmeticException e) {
                    throw EdgeFitException.badDataset(file, "has a .npy shape that is not a list of sizes: (" + s.group(1) + ").");
                }
            }
        }
        long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
        String descr = d.group(1);
        int width = switch (descr) {
            case "<f4", "<i4" -> 4;
            case "<f8", "<i8" -> 8;
            case "<f2" -> 2;
            case "|u1", "|i1", "|b1", "<u1", "<i1", "<b1" -> 1;
            default -> throw EdgeFitException.badDataset(file, "holds elements of type '" + descr + "'; EdgeFit reads little-endian "
                    + "float32, float64, float16, int64, int32, uint8, int8 and bool arrays.");
        };
        int data = (int) (start + headerLen);
        if ((long) data + n * width != bytes.length) {
            throw EdgeFitException.badDataset(file, "should hold " + n + " elements of " + width + " bytes after its header (shape "
                    + dims + "), but holds " + (bytes.length - data) + " bytes.");
        }
        int count = (int) n;
        b.position(data);
        return switch (descr) {
            case "<f4" -> {
                float[] v = new float[count];
                b.asFloatBuffer().get(v);
                yield new Tensor(DType.FLOAT, shape, v);
            }
            case "<f8" -> {
                float[] v = new float[count];
                var db = b.asDoubleBuffer();
                for (int i = 0; i < count; i++) {
                    v[i] = (float) db.get(i);
                }
                yield new Tensor(DType.FLOAT, shape, v);
            }
            case "<f2" -> {
                short[] v = new short[count];
                b.asShortBuffer().get(v);
                yield new Tensor(DType.FLOAT16, shape, v);
            }
            case "<i8" -> {
                long[] v = new long[count];
                b.asLongBuffer().get(v);
                yield new Tensor(DType.INT64, shape, v);
            }
            case "<i4" -> {
                int[] v = new int[count];
                b.asIntBuffer().get(v);
                yield new Tensor(DType.INT32, shape, v);
            }
            default -> {
                byte[] v = java.util.Arrays.copyOfRange(bytes, data, data + count);
                DType t = descr.endsWith("u1") ? DType.UINT8 : descr.endsWith("i1") ? DType.INT8 : DType.BOOL;
                yield new Tensor(t, shape, v);
            }
        };
    }
}
