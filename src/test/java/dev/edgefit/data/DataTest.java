package dev.edgefit.data;

import dev.edgefit.TestModels;
import dev.edgefit.common.EdgeFitException;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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

    @Test
    void gzipIsDetectedByItsBytesNotItsName() throws Exception {
        Path dir = TestModels.tempDir("idxname");
        byte[] data = {7, 8, 9, 10, 11, 12};
        Path plain = dir.resolve("plain.gz");
        IdxReader.write(plain, new int[] {6}, data, false);
        Path packed = dir.resolve("packed.idx");
        IdxReader.write(packed, new int[] {6}, data, true);
        byte[] head = Files.readAllBytes(packed);
        assertEquals(0x1f, head[0] & 0xFF, "written as gzip");
        assertEquals(0x8b, head[1] & 0xFF);
        assertArrayEquals(data, IdxReader.read(plain).data());
        assertArrayEquals(data, IdxReader.read(packed).data());
    }

    @Test
    void wrongDimensionsAndDamagedGzipAreNamed() throws Exception {
        Path dir = TestModels.tempDir("idxdims");
        // the header says 2x3, the file holds 8 bytes
        Path extra = dir.resolve("extra.idx");
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(new byte[] {0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3});
        b.write(new byte[8]);
        Files.write(extra, b.toByteArray());
        EdgeFitException e = assertThrows(EdgeFitException.class, () -> IdxReader.read(extra));
        assertTrue(e.getMessage().startsWith(extra.toString()) && e.getMessage().contains("2x3"), e.getMessage());

        // IDX float data (type 0x0D) is not what images are made of here
        Path floats = dir.resolve("floats.idx");
        Files.write(floats, new byte[] {0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0});
        EdgeFitException e2 = assertThrows(EdgeFitException.class, () -> IdxReader.read(floats));
        assertTrue(e2.getMessage().startsWith(floats.toString()) && e2.getMessage().contains("0xd"), e2.getMessage());

        // a gzip file cut in half
        Path gz = dir.resolve("cut.idx.gz");
        byte[] noise = new byte[5000];
        new java.util.Random(1).nextBytes(noise);
        IdxReader.write(gz, new int[] {5, 10, 100}, noise, true);
        byte[] full = Files.readAllBytes(gz);
        Files.write(gz, Arrays.copyOf(full, full.length / 2));
        EdgeFitException e3 = assertThrows(EdgeFitException.class, () -> IdxReader.read(gz));
        assertTrue(e3.getMessage().startsWith(gz.toString()) && e3.getMessage().contains("truncated"), e3.getMessage());

        // images must be N x H x W (x C); labels one class per image
        Path flat = dir.resolve("flat-images-idx3-ubyte");
        IdxReader.write(flat, new int[] {4, 4}, new byte[16], false);
        EdgeFitException e4 = assertThrows(EdgeFitException.class, () -> Datasets.open(flat, Preprocessing.DEFAULT));
        assertTrue(e4.getMessage().startsWith(flat.toString()) && e4.getMessage().contains("2-D"), e4.getMessage());
        Path pair = TestModels.tempDir("pair2d");
        IdxReader.write(pair.resolve("images.idx3-ubyte"), new int[] {4, 2, 2}, new byte[16], false);
        IdxReader.write(pair.resolve("labels.idx1-ubyte"), new int[] {4, 2}, new byte[8], false);
        EdgeFitException e5 = assertThrows(EdgeFitException.class, () -> Datasets.open(pair, Preprocessing.DEFAULT));
        assertTrue(e5.getMessage().startsWith(pair.resolve("labels.idx1-ubyte").toString()) && e5.getMessage().contains("4x2"), e5.getMessage());
    }

    @Test
    void classicNamesPairImagesWithTheirOwnLabelsAndPreferTheTestSet() {
        Path dir = TestModels.tempDir("classic");
        IdxReader.write(dir.resolve("train-images-idx3-ubyte.gz"), new int[] {6, 2, 2}, new byte[24], true);
        IdxReader.write(dir.resolve("train-labels-idx1-ubyte.gz"), new int[] {6}, new byte[] {0, 1, 2, 3, 4, 5}, true);
        IdxReader.write(dir.resolve("t10k-images-idx3-ubyte.gz"), new int[] {3, 2, 2}, new byte[12], true);
        IdxReader.write(dir.resolve("t10k-labels-idx1-ubyte.gz"), new int[] {3}, new byte[] {2, 0, 1}, true);
        Dataset d = Datasets.open(dir, Preprocessing.DEFAULT);
        assertEquals(dir.resolve("t10k-images-idx3-ubyte.gz"), d.source());
        assertEquals(3, d.size());
        assertEquals(2, d.label(0));
        assertEquals(3, d.numClasses());

        // test images without labels beside training labels of the same count: never pair across sets
        Path mixed = TestModels.tempDir("mixed");
        IdxReader.write(mixed.resolve("test-images-idx3-ubyte"), new int[] {3, 2, 2}, new byte[12], false);
        IdxReader.write(mixed.resolve("train-images-idx3-ubyte"), new int[] {3, 2, 2}, new byte[12], false);
        IdxReader.write(mixed.resolve("train-labels-idx1-ubyte"), new int[] {3}, new byte[] {1, 1, 1}, false);
        Dataset m = Datasets.open(mixed, Preprocessing.DEFAULT);
        assertEquals(mixed.resolve("test-images-idx3-ubyte"), m.source());
        assertFalse(m.labelled());

        Path trainOnly = TestModels.tempDir("trainonly");
        IdxReader.write(trainOnly.resolve("train-images-idx3-ubyte"), new int[] {2, 3, 3, 3}, new byte[54], false);
        IdxReader.write(trainOnly.resolve("train-labels-idx1-ubyte"), new int[] {2}, new byte[] {4, 1}, false);
        Dataset t = Datasets.open(trainOnly, new Preprocessing(1, new float[] {1, 2, 3}, new float[] {1}, Preprocessing.Layout.NHWC));
        assertArrayEquals(new long[] {3, 3, 3}, t.sampleShape());
        assertEquals(5, t.numClasses());
        assertEquals(-2f, t.sample(1)[1]);
    }

    @Test
    void aSingleImagesFileIsUnlabelled() {
        Path dir = TestModels.tempDir("single");
        Path f = dir.resolve("anything.bin");
        byte[] px = new byte[2 * 3 * 4];
        px[4] = (byte) 255;
        IdxReader.write(f, new int[] {2, 3, 4}, px, true);
        Dataset d = Datasets.open(f, Preprocessing.DEFAULT);
        assertFalse(d.labelled());
        assertEquals(0, d.numClasses());
        assertEquals(2, d.size());
        assertArrayEquals(new long[] {1, 3, 4}, d.sampleShape());
        assertEquals(1f, d.sample(0)[4]);
        assertEquals(0f, d.sample(1)[4]);
        EdgeFitException e = assertThrows(EdgeFitException.class, () -> d.label(0));
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
    }

    @Test
    void preprocessingDefaultsJsonAndChannelChecks() {
        Preprocessing d = Preprocessing.DEFAULT;
        assertEquals(1 / 255.0, d.scale());
        assertArrayEquals(new float[] {0f}, d.mean());
        assertArrayEquals(new float[] {1f}, d.std());
        assertEquals(Preprocessing.Layout.NCHW, d.layout());
        assertArrayEquals(new float[] {0f, 1f, 51 / 255f}, d.apply(new byte[] {0, (byte) 255, 51}, 0, 1, 3, 1), 1e-7f);
        assertEquals(d, Preprocessing.fromJson(d.toJson()));
        String json = "{\"scale\":0.5,\"mean\":[1,2,3],\"std\":[2],\"layout\":\"NHWC\"}";
        Preprocessing p = Preprocessing.fromJson(json);
        assertEquals(new Preprocessing(0.5, new float[] {1, 2, 3}, new float[] {2}, Preprocessing.Layout.NHWC), p);
        p.mean()[0] = 99;
        assertEquals(1f, p.mean()[0], "the record's arrays cannot be changed from outside");
        // 3 means for a 1-channel image: a dataset error naming the file, not a silent guess
        Path f = TestModels.tempDir("ppch").resolve("grey.idx");
        IdxReader.write(f, new int[] {1, 2, 2}, new byte[4], false);
        EdgeFitException e = assertThrows(EdgeFitException.class, () -> Datasets.open(f, p));
        assertTrue(e.getMessage().startsWith(f.toString()) && e.getMessage().contains("1 channel"), e.getMessage());
        assertThrows(EdgeFitException.class, () -> p.apply(new byte[8], 0, 2, 2, 2));
        assertThrows(EdgeFitException.class, () -> new Preprocessing(1, new float[] {0}, new float[] {0}, Preprocessing.Layout.NCHW));
    }

    @Test
    void calibrationBatchHoldsTheChosenSamples() {
        Dataset d = Datasets.open(TestModels.sampleData(), Preprocessing.DEFAULT);
        int[] idx = Calibration.sampleIndices(d.size(), 16, 3);
        float[][] batch = Calibration.batch(d, idx);
        assertEquals(16, batch.length);
        for (int i = 0; i < idx.length; i++) {
            assertArrayEquals(d.sample(idx[i]), batch[i]);
        }
        int[] all = Calibration.sampleIndices(7, 7, 3);
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6}, Arrays.stream(all).sorted().toArray());
        assertEquals(0, Calibration.sampleIndices(0, 5, 1).length);
        assertThrows(EdgeFitException.class, () -> Calibration.sampleIndices(10, -1, 1));
    }

    @Test
    void bundledSubsetIsTheFirstTwoThousandDebianTestImages() throws Exception {
        Dataset d = Datasets.open(TestModels.sampleData(), Preprocessing.DEFAULT);
        // Fashion-MNIST's test set begins: ankle boot, pullover, trouser, trouser, shirt
        assertArrayEquals(new int[] {9, 2, 1, 1, 6}, new int[] {d.label(0), d.label(1), d.label(2), d.label(3), d.label(4)});
        Path debian = Path.of("/usr/share/datasets/fashion-mnist");
        assumeTrue(Files.isDirectory(debian), "dataset-fashion-mnist is not installed");
        byte[] images = gunzip(debian.resolve("t10k-images-idx3-ubyte.gz"));
        byte[] labels = gunzip(debian.resolve("t10k-labels-idx1-ubyte.gz"));
        IdxReader.IdxArray ours = IdxReader.read(TestModels.sampleData().resolve("images.idx3-ubyte.gz"));
        assertArrayEquals(Arrays.copyOfRange(images, 16, 16 + 2000 * 784), ours.data());
        for (int i = 0; i < 2000; i++) {
            assertEquals(labels[8 + i] & 0xFF, d.label(i));
        }
    }

    private static byte[] gunzip(Path p) throws Exception {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(p))) {
            return in.readAllBytes();
        }
    }
}
