package org.jairouter.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The repository's compose stack on the host's network ({@code compose.yaml} and
 * {@code compose.host-network.yaml}), driven through the docker CLI under a project name of its own, so
 * that it never touches a stack the user runs. Which images it runs comes from the environment
 * (JAIROUTER_ENVOY_IMAGE and the others compose.yaml names); the variables given here say where its
 * config folder and bootstrap are and which ports it takes.
 */
final class ComposeStack implements AutoCloseable {
    /** {@code up} builds the images first where they are missing. */
    private static final Duration COMMAND_TIMEOUT = Duration.ofMinutes(10);

    private static final List<String> FILES = List.of("-f", "compose.yaml", "-f", "compose.host-network.yaml");

    /** What a docker command printed (stdout and stderr together) and how it exited. */
    record Result(int exitCode, String output) {
        boolean succeeded() {
            return exitCode == 0;
        }
    }

    private final String project;
    private final Map<String, String> variables;

    private ComposeStack(String project, Map<String, String> variables) {
        this.project = project;
        this.variables = variables;
    }

    /** {@code docker compose up --detach}; on failure the stack is taken down again and the output thrown. */
    static ComposeStack up(Map<String, String> variables) throws Exception {
        ComposeStack stack =
                new ComposeStack("jairouter-test-" + ProcessHandle.current().pid(), variables);
        Result up = stack.compose("up", "--detach");
        if (!up.succeeded()) {
            stack.close();
            throw new AssertionError("docker compose up failed:\n" + up.output());
        }
        return stack;
    }

    /** The ids of the project's containers, running or not. */
    List<String> containers() throws Exception {
        Result ps = compose("ps", "--all", "--quiet");
        if (!ps.succeeded()) {
            throw new AssertionError("docker compose ps failed:\n" + ps.output());
        }
        return ps.output().lines().filter(line -> !line.isBlank()).toList();
    }

    /** The services' logs, for a failure message. */
    String logs() throws Exception {
        return compose("logs", "--no-color", "--tail", "50").output();
    }

    /** {@code docker compose down}: stops and removes the project's containers; a second call finds nothing. */
    @Override
    public void close() throws Exception {
        Result down = compose("down", "--remove-orphans", "--timeout", "10");
        if (!down.succeeded()) {
            throw new AssertionError("docker compose down failed:\n" + down.output());
        }
    }

    private Result compose(String... arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of("compose", "--project-name", project));
        command.addAll(FILES);
        command.addAll(List.of(arguments));
        return run(command, variables);
    }

    /** A docker CLI command in the repository, with the process's environment. */
    static Result docker(String... arguments) throws Exception {
        return run(List.of(arguments), Map.of());
    }

    private static Result run(List<String> arguments, Map<String, String> variables) throws Exception {
        List<String> command = new ArrayList<>(List.of("docker"));
        command.addAll(arguments);
        Path output = Files.createTempFile("jairouter-docker-", ".log");
        try {
            ProcessBuilder builder = new ProcessBuilder(command)
                    .directory(Folders.repository().toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(output.toFile());
            builder.environment().putAll(variables);
            Process process = builder.start();
            if (!process.waitFor(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException(String.join(" ", command) + " did not finish within "
                        + COMMAND_TIMEOUT.toMinutes() + " min:\n" + Files.readString(output));
            }
            return new Result(process.exitValue(), Files.readString(output));
        } finally {
            Files.delete(output);
        }
    }
}
