package dev.edgefit.data;

import dev.edgefit.TestModels;
import dev.edgefit.common.EdgeFitException;
import dev.edgefit.model.DType;
import dev.edgefit.model.Half;
import dev.edgefit.runtime.Tensor;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

public class NpyTest {
    /** A .npy file as NumPy 1.x writes it (format 1.0, header padded to 64 bytes, ending in a newline). */
    public static byte[] npy(String descr, long[] shape, byte[] data, int version) {
        StringBuilder dims = new StringBuilder();
        for (long d : shape) {
            dims.append(d).append(", ");
        }
        String shapeText = shape.length == 1 ? dims.toString().strip() : shape.length == 0 ? "" : dims.substring(0, dims.length() - 2);
        String header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + shapeText + "), }";
        int pre = version == 1 ? 10 : 12;
        int len = header.length() + 1;
        int pad = (64 - (pre + len) % 64) % 64;
        header = header + " ".repeat(pad) + "\n";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) version, 0});
        ByteBuffer b = ByteBuffer.allocate(version == 1 ? 2 : 4).order(ByteOrder.LITTLE_ENDIAN);
        if (version == 1) {
            b.putShort((short) header.length());
        } else {
            b.putInt(header.length());
        }
        out.writeBytes(b.array());
        out.writeBytes(header.getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(data);
        return out.toByteArray();
    }

    public static Path writeFloats(Path file, long[] shape, float... values) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        Files.write(file, npy("<f4", shape, b.array(), 1));
        return file;
    }

    private static ByteBuffer le(int bytes) {
        return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    void readsEveryElementTypeInCOrder() throws Exception {
        Path dir = TestModels.tempDir("npy");
        Tensor f = Npy.read(writeFloats(dir.resolve("f.npy"), new long[] {2, 3}, 1, 2, 3, 4, 5, -6.5f));
        assertEquals(DType.FLOAT, f.dtype());
        assertArrayEquals(new long[] {2, 3}, f.shape());
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, -6.5f}, f.floats());

        ByteBuffer d = le(16).putDouble(0.25).putDouble(-3);
        Tensor f8 = Npy.parse(Path.of("d.npy"), npy("<f8", new long[] {2}, d.array(), 1));
        assertEquals(DType.FLOAT, f8.dtype(), "float64 is read as float32");
        assertArrayEquals(new float[] {0.25f, -3}, f8.floats());

        ByteBuffer h = le(4).putShort(Half.fromFloat(1.5f)).putShort(Half.fromFloat(-2));
        Tensor f2 = Npy.parse(Path.of("h.npy"), npy("<f2", new long[] {1, 2}, h.array(), 1));
        assertEquals(DType.FLOAT16, f2.dtype());
        assertArrayEquals(new float[] {1.5f, -2}, f2.floats());

        Tensor i8 = Npy.parse(Path.of("l.npy"), npy("<i8", new long[] {}, le(8).putLong(8000).array(), 1));
        assertEquals(DType.INT64, i8.dtype());
        assertEquals(0, i8.shape().length, "a 0-d array is a scalar");
        assertArrayEquals(new long[] {8000}, (long[]) i8.data());

        Tensor i4 = Npy.parse(Path.of("i.npy"), npy("<i4", new long[] {3}, le(12).putInt(-1).putInt(0).putInt(7).array(), 2));
        assertEquals(DType.INT32, i4.dtype(), "format 2.0 (4-byte header length) too");
        assertArrayEquals(new int[] {-1, 0, 7}, (int[]) i4.data());

        Tensor u1 = Npy.parse(Path.of("u.npy"), npy("|u1", new long[] {2}, new byte[] {(byte) 255, 3}, 1));
        assertEquals(DType.UINT8, u1.dtype());
        assertArrayEquals(new float[] {255, 3}, u1.floats());
        assertEquals(DType.INT8, Npy.parse(Path.of("s.npy"), npy("|i1", new long[] {1}, new byte[] {-5}, 1)).dtype());
        assertEquals(DType.BOOL, Npy.parse(Path.of("b.npy"), npy("|b1", new long[] {1}, new byte[] {1}, 1)).dtype());
    }

    @Test
    void damagedOrUnsupportedFilesAreOneSentenceNamingTheFile() throws Exception {
        Path p = Path.of("x.npy");
        EdgeFitException notNpy = assertThrows(EdgeFitException.class, () -> Npy.parse(p, "hello world, not numpy".getBytes()));
        assertTrue(notNpy.getMessage().startsWith("x.npy: is not a NumPy .npy file"), notNpy.getMessage());
        EdgeFitException big = assertThrows(EdgeFitException.class, () -> Npy.parse(p, npy(">f4", new long[] {1}, new byte[4], 1)));
        assertTrue(big.getMessage().contains("'>f4'"), big.getMessage());
        byte[] fortran = npy("<f4", new long[] {2, 2}, new byte[16], 1);
        String s = new String(fortran, StandardCharsets.ISO_8859_1).replace("'fortran_order': False", "'fortran_order': True ");
        EdgeFitException f = assertThrows(EdgeFitException.class, () -> Npy.parse(p, s.getBytes(StandardCharsets.ISO_8859_1)));
        assertTrue(f.getMessage().contains("Fortran-order"), f.getMessage());
        EdgeFitException shortData = assertThrows(EdgeFitException.class, () -> Npy.parse(p, npy("<f4", new long[] {2, 2}, new byte[12], 1)));
        assertTrue(shortData.getMessage().contains("should hold 4 elements of 4 bytes"), shortData.getMessage());
        EdgeFitException missing = assertThrows(EdgeFitException.class, () -> Npy.read(TestModels.tempDir("npy").resolve("absent.npy")));
        assertTrue(missing.getMessage().endsWith("absent.npy: does not exist."), missing.getMessage());
        for (EdgeFitException e : new EdgeFitException[] {notNpy, big, f, shortData, missing}) {
            assertEquals(EdgeFitException.Kind.BAD_DATASET, e.kind());
        }
    }
}
