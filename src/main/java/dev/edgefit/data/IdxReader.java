package dev.edgefit.data;

import dev.edgefit.common.EdgeFitException;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Reads IDX files (the MNIST format): a magic number 0x00 0x00 type ndims, big-endian int32 dimensions, then the
 * data. Only unsigned bytes (type 0x08) are supported. Gzip is detected by its magic bytes, not by the name.
 */
public final class IdxReader {
    /** Dimensions and raw unsigned bytes of an IDX file. */
    public record IdxArray(int[] dims, byte[] data) {
        public int count() {
            return dims[0];
        }
    }

    private IdxReader() {
    }

    public static IdxArray read(Path file) {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file))) {
            raw.mark(2);
            int b0 = raw.read();
            int b1 = raw.read();
            raw.reset();
            InputStream in = b0 == 0x1f && b1 == 0x8b ? new BufferedInputStream(new GZIPInputStream(raw)) : raw;
            DataInputStream d = new DataInputStream(in);
            int magic = d.readInt();
            int type = (magic >>> 8) & 0xFF;
            int ndims = magic & 0xFF;
            if ((magic >>> 16) != 0 || ndims == 0 || ndims > 4) {
                // IDX: two zero bytes, a type byte, the number of dimensions (MNIST-style data uses 1 to 4)
                throw EdgeFitException.badDataset(file, "is not an IDX file (bad magic number 0x" + Integer.toHexString(magic) + ").");
            }
            if (type != 0x08) {
                throw EdgeFitException.badDataset(file, "holds IDX type 0x" + Integer.toHexString(type)
                        + "; only unsigned bytes (0x08) are supported.");
            }
            int[] dims = new int[ndims];
            long n = 1;
            for (int i = 0; i < ndims; i++) {
                dims[i] = d.readInt();
                if (dims[i] <= 0) {
                    throw EdgeFitException.badDataset(file, "has a bad IDX dimension " + dims[i] + ".");
                }
                n *= dims[i];
            }
            if (n > Integer.MAX_VALUE - 8) {
                throw EdgeFitException.badDataset(file, "is too large (" + n + " values).");
            }
            byte[] data = new byte[(int) n];
            try {
                d.readFully(data);
            } catch (EOFException e) {
                throw EdgeFitException.badDataset(file, "is truncated: its header promises " + n + " values ("
                        + dimsText(dims) + ") but the data ends before them.");
            }
            if (d.read() != -1) {
                throw EdgeFitException.badDataset(file, "holds more data than its header's dimensions " + dimsText(dims)
                        + " describe; the dimensions are wrong or the file is damaged.");
            }
            return new IdxArray(dims, data);
        } catch (EOFException e) {
            throw EdgeFitException.badDataset(file, "is truncated: it ends inside the IDX header.");
        } catch (NoSuchFileException e) {
            throw EdgeFitException.badDataset(file, "does not exist.");
        } catch (java.util.zip.ZipException e) {
            throw EdgeFitException.badDataset(file, "is a damaged gzip file (" + e.getMessage() + ").");
        } catch (IOException e) {
            throw EdgeFitException.badDataset(file, "could not be read (" + e.getMessage() + ").");
        }
    }

    static String dimsText(int[] dims) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < dims.length; i++) {
            b.append(i == 0 ? "" : "x").append(dims[i]);
        }
        return b.toString();
    }

    /** Writes an IDX file of unsigned bytes, gzip-compressed if {@code gzip}; used for subsets and tests. */
    public static void write(Path file, int[] dims, byte[] data, boolean gzip) {
        dev.edgefit.common.AtomicFiles.write(file, out -> {
            java.io.OutputStream o = gzip ? new java.util.zip.GZIPOutputStream(out) : out;
            java.io.DataOutputStream w = new java.io.DataOutputStream(o);
            w.writeInt(0x0800 | dims.length);
            for (int dim : dims) {
                w.writeInt(dim);
            }
            w.write(data);
            w.flush();
            if (o instanceof java.util.zip.GZIPOutputStream g) {
                g.finish();
            }
        });
    }
}
