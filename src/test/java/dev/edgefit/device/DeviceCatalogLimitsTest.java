package dev.edgefit.device;

import dev.edgefit.TestModels;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class DeviceCatalogLimitsTest {

    /** A 10 MB profile (a YAML list of ten million bytes) is one problem, not a long parse; the good profile still loads. */
    @Test
    void aHugeProfileIsAProblemAndTheOthersLoad() throws Exception {
        Path dir = TestModels.tempDir("profiles-huge");
        Files.copy(TestModels.root().resolve("device-profiles/raspberry-pi-4.yaml"), dir.resolve("pi.yaml"));
        StringBuilder b = new StringBuilder("name: Huge\nnotes: [");
        while (b.length() < 10_000_000) {
            b.append("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, ");
        }
        Files.writeString(dir.resolve("huge.yaml"), b.append("]\n"));
        DeviceCatalog c = DeviceCatalog.load(dir);
        assertEquals(1, c.profiles().size());
        assertEquals(1, c.problems().size(), c.problems().toString());
        String text = c.problems().get(0).toString();
        assertTrue(text.contains("huge.yaml") && text.contains("at most " + DeviceCatalog.MAX_PROFILE_BYTES), text);
    }
}
