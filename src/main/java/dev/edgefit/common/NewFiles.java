package dev.edgefit.common;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * What existed under a folder before a command wrote into it, so that a command that fails can remove everything it
 * added (files and folders, the folder itself if it was new) and leave the folder as it found it. Files that existed
 * are never touched.
 */
public final class NewFiles {
    private final Path root;
    private final Set<Path> before;
    private final List<Path> missingParents;

    private NewFiles(Path root, Set<Path> before, List<Path> missingParents) {
        this.root = root;
        this.before = before;
        this.missingParents = missingParents;
    }

    /** Records what is under {@code dir} now (nothing if it does not exist). */
    public static NewFiles under(Path dir) {
        Path root = dir.toAbsolutePath().normalize();
        Set<Path> before = new HashSet<>();
        List<Path> missing = new ArrayList<>();
        for (Path p = root; p != null && !Files.exists(p); p = p.getParent()) {
            missing.add(p);
        }
        if (Files.isDirectory(root)) {
            try (Stream<Path> s = Files.walk(root)) {
                s.forEach(before::add);
            } catch (IOException | RuntimeException ignored) {
                // an unreadable corner: nothing in it is recorded, so nothing in it is removed
                before.add(root);
            }
        }
        return new NewFiles(root, before, missing);
    }

    /** Removes every file and folder that appeared under the folder since {@link #under}; best effort, never throws. */
    public void removeAdded() {
        if (Files.isDirectory(root)) {
            List<Path> added = new ArrayList<>();
            try (Stream<Path> s = Files.walk(root)) {
                s.filter(p -> !before.contains(p)).forEach(added::add);
            } catch (IOException | RuntimeException ignored) {
                return;
            }
            added.sort(Comparator.comparingInt(Path::getNameCount).reversed());
            for (Path p : added) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // a folder that is not empty because something else wrote there: left alone
                }
            }
        }
        for (Path p : missingParents) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // not empty: something else wrote there
            }
        }
    }
}
