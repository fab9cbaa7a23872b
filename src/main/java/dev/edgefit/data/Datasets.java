package dev.edgefit.data;

import dev.edgefit.common.EdgeFitException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Opens what the user points at as a dataset. */
public final class Datasets {
    private static final Pattern IMAGES = Pattern.compile("(.*?)images[.-]idx3-ubyte(\\.gz)?");
    private static final Pattern LABELS = Pattern.compile("(.*?)labels[.-]idx1-ubyte(\\.gz)?");

    private Datasets() {
    }

    /**
     * A folder with {@code images.idx3-ubyte[.gz]} and {@code labels.idx1-ubyte[.gz]} (or the classic
     * {@code *-images-idx3-ubyte[.gz]} / {@code *-labels-idx1-ubyte[.gz]} names), or a single images IDX file.
     * Labels pair with the images of the same name prefix; a folder holding several sets (MNIST's {@code train-*}
     * and {@code t10k-*}) opens its test set.
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
        List<Path> imageFiles = files.stream().filter(p -> Files.isRegularFile(p) && IMAGES.matcher(name(p)).matches()).toList();
        if (imageFiles.isEmpty()) {
            throw EdgeFitException.badDataset(dirOrFile, "holds no images: EdgeFit expects images.idx3-ubyte[.gz] and, for accuracy, "
                    + "labels.idx1-ubyte[.gz] (IDX files as MNIST uses), or a single IDX images file.");
        }
        // several sets in one folder (MNIST's train-* and t10k-*): evaluate on the test set
        Path images = imageFiles.stream().filter(p -> prefix(p, IMAGES).matches("(?i).*(t10k|test).*")).findFirst().orElse(imageFiles.get(0));
        String prefix = prefix(images, IMAGES);
        Path labels = files.stream().filter(p -> Files.isRegularFile(p) && LABELS.matcher(name(p)).matches() && prefix(p, LABELS).equals(prefix))
                .findFirst().orElse(null);
        return new ImageIdxDataset(images, labels, pp);
    }

    /** The part of the name before "images" / "labels", e.g. "t10k-" for t10k-images-idx3-ubyte.gz. */
    private static String prefix(Path p, Pattern kind) {
        Matcher m = kind.matcher(name(p));
        return m.matches() ? m.group(1) : "";
    }

    private static String name(Path p) {
        return p.getFileName().toString();
    }
}
