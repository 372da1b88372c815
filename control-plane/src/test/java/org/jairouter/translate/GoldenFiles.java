package org.jairouter.translate;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.function.Executable;

/**
 * Golden case folders: each holds an {@code input.yml} (and any file it refers to, such as a CA
 * bundle) and the files expected from it, the {@code .json} and {@code .txt} files. A test hands over
 * what it produced; the folder must hold exactly those expected files with exactly that content. With
 * {@code -Djairouter.golden.update=true} the folder is rewritten instead (stale files removed), and
 * git shows the diff for review.
 */
final class GoldenFiles {
    static final String INPUT = "input.yml";
    static final String UPDATE_PROPERTY = "jairouter.golden.update";
    static final String UPDATE_COMMAND = "./mvnw -B -pl control-plane -am test -Dtest='TranslatorGoldenTest'"
            + " -Dsurefire.failIfNoSpecifiedTests=false -D" + UPDATE_PROPERTY + "=true";

    private GoldenFiles() {}

    /** The case folders under a golden root, by name. */
    static Stream<Path> cases(Path root) {
        try (Stream<Path> folders = Files.list(root)) {
            List<Path> cases = folders.filter(Files::isDirectory).sorted().toList();
            if (cases.isEmpty()) {
                fail("no golden cases in " + root);
            }
            return cases.stream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Compares the produced files of one case folder, or writes them when the update flag is set. */
    static void check(Path folder, Map<String, String> produced) throws IOException {
        check(folder, produced, Boolean.getBoolean(UPDATE_PROPERTY));
    }

    static void check(Path folder, Map<String, String> produced, boolean update) throws IOException {
        if (update) {
            write(folder, produced);
            return;
        }
        String howToFix = "If the change is intended, regenerate every golden file with\n  " + UPDATE_COMMAND
                + "\nand review the diff with git.";
        Stream<Executable> stale = existingOutputs(folder).stream()
                .filter(name -> !produced.containsKey(name))
                .map(name -> () -> fail(folder.resolve(name) + " is no longer produced. " + howToFix));
        Stream<Executable> compared = produced.entrySet().stream().map(file -> () -> {
            Path expected = folder.resolve(file.getKey());
            if (!Files.exists(expected)) {
                fail(expected + " is missing. " + howToFix);
            }
            assertEquals(Files.readString(expected), file.getValue(), expected + " differs. " + howToFix);
        });
        assertAll(folder.getFileName().toString(), Stream.concat(stale, compared));
    }

    private static void write(Path folder, Map<String, String> produced) throws IOException {
        for (String name : existingOutputs(folder)) {
            if (!produced.containsKey(name)) {
                Files.delete(folder.resolve(name));
            }
        }
        for (Map.Entry<String, String> file : produced.entrySet()) {
            Files.writeString(folder.resolve(file.getKey()), file.getValue());
        }
    }

    private static List<String> existingOutputs(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            return files.map(f -> f.getFileName().toString())
                    .filter(name -> name.endsWith(".json") || name.endsWith(".txt"))
                    .sorted()
                    .toList();
        }
    }
}
