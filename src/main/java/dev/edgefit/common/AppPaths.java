package dev.edgefit.common;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Where EdgeFit's own files (device-profiles/, assets/) live. Candidates, in order: the system property
 * {@code edgefit.root}, the working directory, the folder of the running jar (or classes folder), and that
 * folder's parent. The first candidate that holds the asked-for path wins.
 */
public final class AppPaths {
    /** System property that names the installation root explicitly (tests and launchers set it). */
    public static final String ROOT_PROPERTY = "edgefit.root";

    private static final List<String> MARKERS = List.of("device-profiles", "assets");

    /** System property that names the user's configuration folder explicitly (tests set it). */
    public static final String CONFIG_PROPERTY = "edgefit.configDir";

    private AppPaths() {
    }

    /**
     * The user's configuration folder (recent files, the user's device profiles): the system property
     * {@value #CONFIG_PROPERTY}, else {@code $XDG_CONFIG_HOME/edgefit}, else {@code ~/.config/edgefit}.
     */
    public static Path configFolder() {
        String dir = System.getProperty(CONFIG_PROPERTY);
        if (dir != null && !dir.isBlank()) {
            return Path.of(dir);
        }
        String xdg = System.getenv("XDG_CONFIG_HOME");
        if (xdg != null && !xdg.isBlank()) {
            return Path.of(xdg, "edgefit");
        }
        return Path.of(System.getProperty("user.home"), ".config", "edgefit");
    }

    /** The folders searched, in order, without duplicates; each is absolute and normalized. */
    public static List<Path> candidates() {
        Set<Path> out = new LinkedHashSet<>();
        String prop = System.getProperty(ROOT_PROPERTY);
        if (prop != null && !prop.isBlank()) {
            out.add(Path.of(prop).toAbsolutePath().normalize());
        }
        out.add(Path.of("").toAbsolutePath().normalize());
        codeLocation().ifPresent(loc -> {
            out.add(loc);
            if (loc.getParent() != null) {
                out.add(loc.getParent());
            }
        });
        return new ArrayList<>(out);
    }

    /** The installation root: the first candidate that holds device-profiles/ or assets/, else the first candidate. */
    public static Path root() {
        List<Path> c = candidates();
        for (Path p : c) {
            for (String m : MARKERS) {
                if (Files.isDirectory(p.resolve(m))) {
                    return p;
                }
            }
        }
        return c.get(0);
    }

    /** The first existing {@code candidate/relative}, if any. */
    public static Optional<Path> find(String relative) {
        for (Path p : candidates()) {
            Path r = p.resolve(relative);
            if (Files.exists(r)) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }

    /** {@link #find} if the path exists somewhere, else {@code root().resolve(relative)} (which may not exist). */
    public static Path resolve(String relative) {
        return find(relative).orElseGet(() -> root().resolve(relative));
    }

    /** Folder of the jar this class was loaded from, or the classes folder when run from a build tree. */
    private static Optional<Path> codeLocation() {
        try {
            CodeSource cs = AppPaths.class.getProtectionDomain().getCodeSource();
            if (cs == null || cs.getLocation() == null) {
                return Optional.empty();
            }
            Path p = Path.of(cs.getLocation().toURI()).toAbsolutePath().normalize();
            if (Files.isRegularFile(p)) {
                p = p.getParent();
            }
            return Optional.ofNullable(p);
        } catch (URISyntaxException | IllegalArgumentException | SecurityException | java.nio.file.FileSystemNotFoundException e) {
            return Optional.empty();
        }
    }
}
