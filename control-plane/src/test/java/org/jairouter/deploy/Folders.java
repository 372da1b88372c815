package org.jairouter.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** The repository the tests run in, and removal of the temporary folders the deployment tests make. */
final class Folders {
    private Folders() {}

    /** The repository's root: Maven runs the tests in the module's folder, one below it. */
    static Path repository() {
        return Path.of(System.getProperty("basedir", "")).toAbsolutePath().getParent();
    }

    static void delete(Path folder) throws IOException {
        try (Stream<Path> paths = Files.walk(folder)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
