package dev.edgefit.data;

import java.nio.file.Path;

/** A set of model inputs, preprocessed, with optional class labels. */
public interface Dataset {
    String name();

    Path source();

    int size();

    /** Shape of ONE sample without the batch axis, e.g. [1, 28, 28] for NCHW greyscale. */
    long[] sampleShape();

    /** The i-th sample, preprocessed, in the layout of {@link #sampleShape()}. */
    float[] sample(int i);

    boolean labelled();

    int label(int i);

    /** Number of classes, or 0 if unlabelled. */
    int numClasses();
}
