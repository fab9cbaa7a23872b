package dev.edgefit.data;

import dev.edgefit.common.EdgeFitException;

import java.nio.file.Path;

/** Images from an IDX file (N x H x W, or N x H x W x C) with optional labels from a second IDX file. */
public final class ImageIdxDataset implements Dataset {
    private final Path images;
    private final IdxReader.IdxArray img;
    private final byte[] labels;
    private final Preprocessing pp;
    private final int h;
    private final int w;
    private final int c;
    private final int classes;

    public ImageIdxDataset(Path images, Path labelsFile, Preprocessing pp) {
        this.images = images;
        this.img = IdxReader.read(images);
        this.pp = pp;
        int[] d = img.dims();
        if (d.length != 3 && d.length != 4) {
            throw EdgeFitException.badDataset(images, "holds " + d.length + "-D data; images need N x H x W or N x H x W x C.");
        }
        this.h = d[1];
        this.w = d[2];
        this.c = d.length == 4 ? d[3] : 1;
        if (pp.mean().length != 1 && pp.mean().length != c || pp.std().length != 1 && pp.std().length != c) {
            throw EdgeFitException.badDataset(images, "holds images with " + c + " channel" + (c == 1 ? "" : "s")
                    + ", but the preprocessing gives " + pp.mean().length + " mean and " + pp.std().length + " std values.");
        }
        if (labelsFile != null) {
            IdxReader.IdxArray l = IdxReader.read(labelsFile);
            if (l.dims().length != 1) {
                throw EdgeFitException.badDataset(labelsFile, "holds " + IdxReader.dimsText(l.dims())
                        + " values; labels need one dimension (one class index per image).");
            }
            if (l.count() != img.count()) {
                throw EdgeFitException.badDataset(labelsFile, "holds " + l.count() + " labels, but " + images.getFileName()
                        + " holds " + img.count() + " images.");
            }
            this.labels = l.data();
            int max = 0;
            for (byte b : labels) {
                max = Math.max(max, b & 0xFF);
            }
            this.classes = max + 1;
        } else {
            this.labels = null;
            this.classes = 0;
        }
    }

    @Override
    public String name() {
        return images.getParent() != null && images.getFileName().toString().startsWith("images") ? images.getParent().getFileName().toString()
                : images.getFileName().toString();
    }

    @Override
    public Path source() {
        return images;
    }

    @Override
    public int size() {
        return img.count();
    }

    @Override
    public long[] sampleShape() {
        return pp.layout() == Preprocessing.Layout.NCHW ? new long[] {c, h, w} : new long[] {h, w, c};
    }

    @Override
    public float[] sample(int i) {
        return pp.apply(img.data(), i * h * w * c, h, w, c);
    }

    @Override
    public boolean labelled() {
        return labels != null;
    }

    @Override
    public int label(int i) {
        if (labels == null) {
            throw EdgeFitException.badDataset(images, "has no labels file beside it, so it has no labels.");
        }
        return labels[i] & 0xFF;
    }

    @Override
    public int numClasses() {
        return classes;
    }
}
