package dev.edgefit.ui;

import dev.edgefit.common.AtomicFiles;
import dev.edgefit.common.Json;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The models opened lately, newest first, kept in {@code recent.json} in the user's configuration folder:
 * {@code $XDG_CONFIG_HOME/edgefit} or {@code ~/.config/edgefit}; the system property {@value #CONFIG_PROPERTY}
 * moves it (tests use a temporary folder). A missing or damaged file is an empty list; writes are atomic.
 */
final class RecentFiles {
    static final String CONFIG_PROPERTY = dev.edgefit.common.AppPaths.CONFIG_PROPERTY;
    static final int MAX = 8;

    private final Path file;

    RecentFiles(Path file) {
        this.file = file;
    }

    static RecentFiles inConfigFolder() {
        return new RecentFiles(configFolder().resolve("recent.json"));
    }

    static Path configFolder() {
        return dev.edgefit.common.AppPaths.configFolder();
    }

    Path file() {
        return file;
    }

    /** The list as stored; empty when the file is missing or unreadable. */
    List<String> read() {
        try {
            if (Files.isRegularFile(file)) {
                List<String> out = new ArrayList<>();
                for (String s : Json.mapper().readValue(file.toFile(), String[].class)) {
                    if (s != null && !s.isBlank() && !out.contains(s)) {
                        out.add(s);
                    }
                }
                return out;
            }
        } catch (Exception e) {
            // a damaged list is a convenience lost, not an error: it is rewritten on the next open
        }
        return new ArrayList<>();
    }

    /** The list with {@code model} moved to the front, at most {@value #MAX} entries; not yet saved. */
    List<String> with(Path model) {
        List<String> list = read();
        String p = model.toAbsolutePath().normalize().toString();
        list.remove(p);
        list.add(0, p);
        return new ArrayList<>(list.subList(0, Math.min(MAX, list.size())));
    }

    /** Writes the list atomically. */
    void save(List<String> list) {
        AtomicFiles.writeString(file, Json.write(list));
    }
}
