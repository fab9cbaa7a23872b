package dev.edgefit.export;

import java.nio.file.Path;
import java.util.List;

/** What an export wrote: the folder, each verified artifact and the manifest. */
public record ExportResult(Path dir, List<Artifact> artifacts, Path manifest) {
}
