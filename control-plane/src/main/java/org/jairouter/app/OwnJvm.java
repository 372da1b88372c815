package org.jairouter.app;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A plain {@code java -jar jairouter.jar} runs the control plane in a second JVM that has the options of
 * control-plane/jvm.options and a class-data-sharing archive: about a second less CPU to ready than the
 * JVM's defaults. A JVM that was given jvm.options (run-demo.sh, the image, bench) runs the command itself:
 * the file sets the property {@value #APPLIED}. The first JVM loads only JDK classes and waits.
 */
final class OwnJvm {
    /** Set by jvm.options: the JVM already runs with the control plane's options. */
    static final String APPLIED = "jairouter.jvm-options";
    /** Set for the second JVM: the process id of the first, which it must not outlive. */
    static final String PARENT = "jairouter.parent-pid";

    private final Path jar;
    private final int feature;

    OwnJvm(Path jar, int feature) {
        this.jar = jar;
        this.feature = feature;
    }

    /**
     * Runs {@code args} in a JVM of the control plane's own when this one was started without its options.
     *
     * @return that JVM's exit status; empty if this JVM should run the command itself
     */
    static OptionalInt runIfNeeded(String[] args) throws IOException, InterruptedException {
        if (System.getProperty(APPLIED) != null) {
            endWithParent();
            return OptionalInt.empty();
        }
        Optional<Path> jar = runningJar();
        if (jar.isEmpty()) {
            return OptionalInt.empty();
        }
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(new OwnJvm(jar.get(), Runtime.version().feature()).options());
        command.add("-D" + PARENT + "=" + ProcessHandle.current().pid());
        command.addAll(List.of("-jar", jar.get().toString()));
        command.addAll(List.of(args));
        Process jvm = new ProcessBuilder(command).inheritIO().start();
        // A SIGTERM or Ctrl-C to this JVM stops the control plane's too, and waits for it to close.
        Thread stop = new Thread(
                () -> {
                    jvm.destroy();
                    jvm.onExit().join();
                },
                "stop-control-plane-jvm");
        Runtime.getRuntime().addShutdownHook(stop);
        return OptionalInt.of(jvm.waitFor());
    }

    /**
     * A first JVM killed with SIGKILL cannot stop the second: the second then ends as a killed control
     * plane does (no shutdown hook), and its Envoy serves on, to be adopted by the next start.
     */
    private static void endWithParent() {
        String parent = System.getProperty(PARENT);
        if (parent != null) {
            ProcessHandle.of(Long.parseLong(parent))
                    .ifPresentOrElse(
                            first -> first.onExit()
                                    .thenRun(() -> Runtime.getRuntime().halt(137)),
                            () -> Runtime.getRuntime().halt(137));
        }
    }

    /** The jar this class was loaded from; empty when run from classes (tests, an IDE). */
    private static Optional<Path> runningJar() {
        try {
            Path location = Path.of(OwnJvm.class
                    .getProtectionDomain()
                    .getCodeSource()
                    .getLocation()
                    .toURI());
            return Files.isRegularFile(location) ? Optional.of(location) : Optional.empty();
        } catch (URISyntaxException | SecurityException e) {
            return Optional.empty();
        }
    }

    /** jvm.options (a copy is in the jar), then the class-data-sharing archive that fits this JDK. */
    List<String> options() throws IOException {
        List<String> options = new ArrayList<>(jvmOptionsFile());
        options.addAll(classDataSharing());
        return options;
    }

    private static List<String> jvmOptionsFile() throws IOException {
        try (InputStream in = OwnJvm.class.getResourceAsStream("jvm.options")) {
            if (in == null) {
                throw new IOException("jvm.options is missing from the jar");
            }
            return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))
                    .lines()
                    .map(String::strip)
                    .filter(line -> !line.isEmpty() && !line.startsWith("#"))
                    .toList();
        }
    }

    /**
     * The build's archive fits the JDK that built it (17 in CI and the image); it is used when present and
     * the JVM ignores it, with a warning, if it does not fit. A JDK 25 keeps an AOT cache of its own beside
     * the jar instead, written when a run ends (JEP 514) and used by the runs after, until the jar changes.
     */
    private List<String> classDataSharing() {
        Path folder = jar.getParent();
        if (feature < 25) {
            Path archive = folder.resolve("jairouter.jsa");
            return Files.isRegularFile(archive) ? List.of("-XX:SharedArchiveFile=" + archive) : List.of();
        }
        Path cache = folder.resolve("jairouter-jdk" + feature + ".aot");
        if (isNewerThanJar(cache)) {
            return List.of("-XX:AOTCache=" + cache);
        }
        return Files.isWritable(folder) ? List.of("-XX:AOTCacheOutput=" + cache) : List.of();
    }

    private boolean isNewerThanJar(Path file) {
        try {
            return Files.isRegularFile(file)
                    && Files.getLastModifiedTime(file).compareTo(Files.getLastModifiedTime(jar)) > 0;
        } catch (IOException e) {
            return false;
        }
    }
}
