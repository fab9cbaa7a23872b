package dev.edgefit.data;

import dev.edgefit.common.EdgeFitException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Opens what the user points at as a dataset. */
public final class Datasets {
    private Datasets() {
    }

    /**
     * A folder with {@code images.idx3-ubyte[.gz]} and {@code labels.idx1-ubyte[.gz]} (or the classic
     * {@code *-images-idx3-ubyte[.gz]} / {@code *-labels-idx1-ubyte[.gz]} names), or a single images IDX file.
     */
    public static Dataset open(Path dirOrFile, Preprocessing pp) {
        if (Files.isRegularFile(dirOrFile)) {
            return new ImageIdxDataset(dirOrFile, null, pp);
        }
        if (!Files.isDirectory(dirOrFile)) {
            throw EdgeFitException.badDataset(dirOrFile, "does not exist.");
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(dirOrFile)) {
            files = s.sorted().toList();
        } catch (IOException e) {
            throw EdgeFitException.badDataset(dirOrFile, "could not be listed (" + e.getMessage() + ").");
        }
        Path images = files.stream().filter(p -> name(p).matches("(.*-)?images[.-]idx3-ubyte(\\.gz)?")).findFirst().orElse(null);
        Path labels = files.stream().filter(p -> name(p).matches("(.*-)?labels[.-]idx1-ubyte(\\.gz)?")).findFirst().orElse(null);
        if (images == null) {
            throw EdgeFitException.badDataset(dirOrFile, "holds no images: EdgeFit expects images.idx3-ubyte[.gz] and, for accuracy, "
                    + "labels.idx1-ubyte[.gz] (IDX files as MNIST uses), or a single IDX images file.");
        }
        return new ImageIdxDataset(images, labels, pp);
    }

    private static String name(Path p) {
        return p.getFileName().toString();
    }
}
