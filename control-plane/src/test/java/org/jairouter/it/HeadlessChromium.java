package org.jairouter.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;

/**
 * Debian's {@code chromium}, headless: loads a page, lets its scripts run for a few seconds of virtual
 * time (timers fire at once, fetches still wait for the server) and prints the DOM or takes a
 * screenshot. Each call is a fresh browser with its own profile.
 */
final class HeadlessChromium {
    /** Virtual time a page gets: enough for the dashboard to poll several times. */
    private static final int VIRTUAL_TIME_MILLIS = 9_000;

    private static final long RUN_TIMEOUT_SECONDS = 120;
    private final Path binary;

    private HeadlessChromium(Path binary) {
        this.binary = binary;
    }

    /** The chromium on PATH, if there is one. */
    static Optional<HeadlessChromium> onPath() {
        return Arrays.stream(System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator))
                .map(dir -> Path.of(dir, "chromium"))
                .filter(Files::isExecutable)
                .findFirst()
                .map(HeadlessChromium::new);
    }

    Document dom(String url) throws IOException, InterruptedException {
        return Jsoup.parse(run(url, "--dump-dom"), url);
    }

    void screenshot(String url, Path png, int width, int height) throws IOException, InterruptedException {
        run(url, "--screenshot=" + png.toAbsolutePath(), "--window-size=" + width + "," + height, "--hide-scrollbars");
        if (!Files.isRegularFile(png)) {
            throw new IOException("chromium wrote no screenshot to " + png);
        }
    }

    private String run(String url, String... action) throws IOException, InterruptedException {
        Path profile = Files.createTempDirectory("jairouter-chromium-");
        List<String> command = new ArrayList<>(List.of(
                binary.toString(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--user-data-dir=" + profile,
                "--virtual-time-budget=" + VIRTUAL_TIME_MILLIS));
        command.addAll(List.of(action));
        command.add(url);
        Path output = Files.createTempFile("jairouter-chromium-", ".html");
        Process process = new ProcessBuilder(command)
                .redirectOutput(output.toFile())
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        try {
            if (!process.waitFor(RUN_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                throw new IOException("chromium did not finish " + url + " within " + RUN_TIMEOUT_SECONDS + " s");
            }
            if (process.exitValue() != 0) {
                throw new IOException("chromium exited with " + process.exitValue() + " on " + url);
            }
            return Files.readString(output);
        } finally {
            process.destroyForcibly();
            Files.deleteIfExists(output);
            try (var files = Files.walk(profile)) {
                files.sorted(java.util.Comparator.reverseOrder())
                        .forEach(p -> p.toFile().delete());
            }
        }
    }
}
