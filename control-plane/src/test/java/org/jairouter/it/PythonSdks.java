package org.jairouter.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * The official Python SDKs (openai, anthropic) for the tests that call the router with them: installed from
 * PyPI into bench/.python-packages (ignored by git) when missing, and scripts from src/test/resources/python
 * run with them, each printing one JSON object.
 */
final class PythonSdks {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path PACKAGES = Path.of("..", "bench", ".python-packages");

    private PythonSdks() {}

    /** Null when both SDKs import (installing them from PyPI first if needed), else why not. */
    static String missing() throws InterruptedException {
        try {
            ProcessBuilder check = new ProcessBuilder("python3", "-c", "import openai, anthropic");
            check.environment().put("PYTHONPATH", PACKAGES.toAbsolutePath().toString());
            if (check.start().waitFor() == 0) {
                return null;
            }
            Process pip = new ProcessBuilder(
                            "python3",
                            "-m",
                            "pip",
                            "install",
                            "-q",
                            "--disable-pip-version-check",
                            "--target",
                            PACKAGES.toString(),
                            "openai",
                            "anthropic")
                    .redirectErrorStream(true)
                    .start();
            String log = new String(pip.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return pip.waitFor() == 0 ? null : "pip could not install openai and anthropic: " + log;
        } catch (IOException e) {
            return "no python3 to run the official Python SDKs (" + e.getMessage() + ")";
        }
    }

    /** Runs the script (its stderr shown), asserts it succeeded, and returns the JSON it printed. */
    static JsonNode run(String script, String... args) throws Exception {
        Path file = Files.createTempFile(script.replace(".py", ""), ".py");
        try (var in = Objects.requireNonNull(PythonSdks.class.getResourceAsStream("/python/" + script))) {
            Files.write(file, in.readAllBytes());
        }
        List<String> command = new ArrayList<>(List.of("python3", file.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("PYTHONPATH", PACKAGES.toAbsolutePath().toString());
        Process python = builder.redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(python.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(python.waitFor(2, TimeUnit.MINUTES), script + " finished");
        assertEquals(0, python.exitValue(), script + " ran without an error (stderr above); printed: " + out);
        return JSON.readTree(out);
    }
}
