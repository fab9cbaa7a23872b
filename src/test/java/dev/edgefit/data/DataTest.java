package dev.edgefit.data;

import dev.edgefit.TestModels;
import dev.edgefit.common.EdgeFitException;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class DataTest {

    @Test
    void idxRoundTripsRawAndGzip() {
        Path dir = TestModels.tempDir("idx");
        byte[] data = new byte[3 * 2 * 2];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 20);
        }
        for (boolean gz : new boolean[] {false, true}) {
            Path f = dir.resolve(gz ? "a.gz" : "a.raw");
            IdxReader.write(f, new int[] {3, 2, 2}, data, gz);
            IdxReader.IdxArray a = IdxReader.read(f);
            assertArrayEquals(new int[] {3, 2, 2}, a.dims());
            assertArrayEquals(data, a.data());
        }
    }

    @Test
    void badFilesGetOneSentenceNamingTheFile() throws Exception {
        Path dir = TestModels.tempDir("idxbad");
        Path magic = dir.resolve("magic.idx");
        Files.write(magic, new byte[] {1, 2, 3, 4, 0, 0, 0, 1});
        EdgeFitException e = assertThrows(EdgeFitException.class, () -> IdxReader.read(magic));
        assertTrue(e.getMessage().startsWith(magic.toString()) && e.getMessage().contains("not an IDX file"), e.getMessage());
        assertEquals(EdgeFitException.Kind.BAD_DATASET, e.kind());

        Path cut = dir.resolve("cut.idx");
        IdxReader.write(cut, new int[] {10, 4, 4}, new byte[160], false);
        byte[] full = Files.readAllBytes(cut);
        Files.write(cut, Arrays.copyOf(full, full.length - 10));
        EdgeFitException e2 = assertThrows(EdgeFitException.class, () -> IdxReader.read(cut));
        assertTrue(e2.getMessage().contains("cut.idx") && e2.getMessage().contains("truncated"), e2.getMessage());

        Path images = dir.resolve("images.idx3-ubyte");
        Path labels = dir.resolve("labels.idx1-ubyte");
        IdxReader.write(images, new int[] {4, 2, 2}, new byte[16], false);
        IdxReader.write(labels, new int[] {3}, new byte[3], false);
        EdgeFitException e3 = assertThrows(EdgeFitException.class, () -> Datasets.open(dir, Preprocessing.DEFAULT));
        assertTrue(e3.getMessage().contains("3 labels") && e3.getMessage().contains("4 images"), e3.getMessage());

        EdgeFitException e4 = assertThrows(EdgeFitException.class, () -> Datasets.open(TestModels.tempDir("empty"), Preprocessing.DEFAULT));
        assertTrue(e4.getMessage().contains("images.idx3-ubyte"), e4.getMessage());
    }

    @Test
    void preprocessingInBothLayouts() {
        // a 1x2 image with 2 channels: pixel (0,0) = (0, 255), pixel (0,1) = (51, 102)
        byte[] px = {0, (byte) 255, 51, 102};
        Preprocessing nchw = new Preprocessing(1 / 255.0, new float[] {0.5f, 0f}, new float[] {0.5f, 2f}, Preprocessing.Layout.NCHW);
        float[] a = nchw.apply(px, 0, 1, 2, 2);
        assertArrayEquals(new float[] {-1f, (0.2f - 0.5f) / 0.5f, 0.5f, 0.2f}, a, 1e-6f);
        Preprocessing nhwc = new Preprocessing(1 / 255.0, new float[] {0.5f, 0f}, new float[] {0.5f, 2f}, Preprocessing.Layout.NHWC);
        assertArrayEquals(new float[] {-1f, 0.5f, (0.2f - 0.5f) / 0.5f, 0.2f}, nhwc.apply(px, 0, 1, 2, 2), 1e-6f);
        assertEquals(nchw, Preprocessing.fromJson(nchw.toJson()));
        EdgeFitException e = assertThrows(EdgeFitException.class, () -> Preprocessing.fromJson("{not json"));
        assertEquals(EdgeFitException.Kind.BAD_PARAMETER, e.kind());
    }

    @Test
    void calibrationSamplingIsDeterministicWithoutRepeats() {
        int[] a = Calibration.sampleIndices(1000, 100, 7);
        assertArrayEquals(a, Calibration.sampleIndices(1000, 100, 7));
        assertFalse(Arrays.equals(a, Calibration.sampleIndices(1000, 100, 8)));
        Set<Integer> seen = new HashSet<>();
        for (int i : a) {
            assertTrue(i >= 0 && i < 1000);
            assertTrue(seen.add(i), "no index twice");
        }
        assertEquals(5, Calibration.sampleIndices(5, 100, 1).length);
    }

    @Test
    void bundledSubsetReadsAsTwoThousandLabelledImages() {
        Dataset d = Datasets.open(TestModels.sampleData(), Preprocessing.DEFAULT);
        assertEquals(2000, d.size());
        assertArrayEquals(new long[] {1, 28, 28}, d.sampleShape());
        assertTrue(d.labelled());
        assertEquals(10, d.numClasses());
        int[] counts = new int[10];
        for (int i = 0; i < d.size(); i++) {
            counts[d.label(i)]++;
        }
        for (int c : counts) {
            assertTrue(c > 150 && c < 250, "classes are roughly balanced: " + Arrays.toString(counts));
        }
        float[] s = d.sample(0);
        assertEquals(784, s.length);
        for (float v : s) {
            assertTrue(v >= 0 && v <= 1);
        }
    }
}
