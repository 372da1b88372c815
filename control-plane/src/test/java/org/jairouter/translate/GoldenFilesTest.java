package org.jairouter.translate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.MultipleFailuresError;

/** A golden case folder that is out of date fails, saying which file and how to regenerate them all. */
class GoldenFilesTest {
    private static final Map<String, String> PRODUCED = Map.of("routes.json", "[]\n", "clusters.json", "[1]\n");

    @TempDir
    Path folder;

    @BeforeEach
    void writeACase() throws Exception {
        Files.writeString(folder.resolve("input.yml"), "model: {}\n");
        Files.writeString(folder.resolve("ca.pem"), "a file the input refers to\n");
        Files.writeString(folder.resolve("routes.json"), "[]\n");
        Files.writeString(folder.resolve("clusters.json"), "[1]\n");
    }

    @Test
    void aFolderHoldingExactlyTheProducedFilesPasses() throws Exception {
        GoldenFiles.check(folder, PRODUCED, false);
    }

    @Test
    void aMissingFileFailsWithTheRegenerateCommand() throws Exception {
        Files.delete(folder.resolve("clusters.json"));

        assertFailure("clusters.json", "is missing");
    }

    @Test
    void aDifferingFileFailsWithTheRegenerateCommand() throws Exception {
        Files.writeString(folder.resolve("clusters.json"), "[2]\n");

        assertFailure("clusters.json", "differs");
    }

    @Test
    void aFileNoLongerProducedFailsWithTheRegenerateCommand() throws Exception {
        Files.writeString(folder.resolve("secrets.json"), "[]\n");

        assertFailure("secrets.json", "is no longer produced");
    }

    @Test
    void updatingRewritesTheExpectedFilesAndKeepsTheInputs() throws Exception {
        Files.writeString(folder.resolve("clusters.json"), "[2]\n");
        Files.writeString(folder.resolve("secrets.json"), "[]\n");

        GoldenFiles.check(folder, PRODUCED, true);

        GoldenFiles.check(folder, PRODUCED, false);
        assertEquals("model: {}\n", Files.readString(folder.resolve("input.yml")));
        assertTrue(Files.exists(folder.resolve("ca.pem")));
    }

    private void assertFailure(String file, String problem) {
        MultipleFailuresError failure =
                assertThrows(MultipleFailuresError.class, () -> GoldenFiles.check(folder, PRODUCED, false));
        assertEquals(1, failure.getFailures().size(), failure.getMessage());
        String message = failure.getFailures().get(0).getMessage();
        assertTrue(message.startsWith(folder.resolve(file) + " " + problem), message);
        assertTrue(message.contains(GoldenFiles.UPDATE_COMMAND), message);
    }
}
