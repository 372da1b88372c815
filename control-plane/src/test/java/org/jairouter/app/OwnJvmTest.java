package org.jairouter.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OwnJvmTest {
    @TempDir
    Path folder;

    @Test
    void theOwnJvmHasTheOptionsFileAndItsMarker() throws Exception {
        List<String> options = new OwnJvm(jar(), 17).options();
        List<String> file = Files.readAllLines(Path.of("jvm.options")).stream()
                .filter(line -> !line.isBlank() && !line.startsWith("#"))
                .toList();
        assertEquals(file, options.subList(0, file.size()));
        assertTrue(options.contains("-D" + OwnJvm.APPLIED + "=applied"), options.toString());
    }

    @Test
    void jdk17UsesTheBuildsArchiveWhenThereIsOne() throws Exception {
        Path jar = jar();
        assertTrue(new OwnJvm(jar, 17).options().stream().noneMatch(o -> o.startsWith("-XX:SharedArchiveFile")));
        Files.writeString(folder.resolve("jairouter.jsa"), "archive");
        assertTrue(new OwnJvm(jar, 17).options().contains("-XX:SharedArchiveFile=" + folder.resolve("jairouter.jsa")));
    }

    @Test
    void jdk25WritesAnAotCacheThenUsesItUntilTheJarChanges() throws Exception {
        Path jar = jar();
        Path cache = folder.resolve("jairouter-jdk25.aot");
        assertTrue(new OwnJvm(jar, 25).options().contains("-XX:AOTCacheOutput=" + cache));

        Files.writeString(cache, "cache");
        Files.setLastModifiedTime(jar, FileTime.fromMillis(1_000_000));
        assertTrue(new OwnJvm(jar, 25).options().contains("-XX:AOTCache=" + cache));

        Files.setLastModifiedTime(
                jar, FileTime.fromMillis(Files.getLastModifiedTime(cache).toMillis() + 1_000));
        assertTrue(new OwnJvm(jar, 25).options().contains("-XX:AOTCacheOutput=" + cache));
    }

    private Path jar() throws Exception {
        return Files.writeString(folder.resolve("jairouter.jar"), "jar");
    }
}
