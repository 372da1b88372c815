package org.jairouter.it;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jairouter.envoy.EnvoyBinary;

/**
 * The control plane as a real separate process (so that it can really be killed, and its whole output,
 * Envoy's included, is one file), on fixed free ports and a work folder that outlives each run.
 */
final class ControlPlaneProcess {
    private final List<String> command;
    private final Path dir;

    /** @param dir where the work folder and each run's log go */
    ControlPlaneProcess(Path config, Path dir, String... moreArguments) throws IOException {
        this.dir = dir;
        List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElse("java"),
                "-cp",
                System.getProperty("java.class.path"),
                "org.jairouter.app.JaiRouter",
                "--config",
                config.toString(),
                "--xds-port",
                Integer.toString(freePort()),
                "--admin-port",
                Integer.toString(freePort()),
                "--status-port",
                Integer.toString(freePort()),
                "--work-dir",
                workDir().toString(),
                "--concurrency",
                "2",
                "--envoy-install-dir",
                EnvoyBinary.defaultInstallDir().toString()));
        command.addAll(List.of(moreArguments));
        this.command = List.copyOf(command);
    }

    Path workDir() {
        return dir.resolve("work");
    }

    int statusPort() {
        return Integer.parseInt(command.get(command.indexOf("--status-port") + 1));
    }

    /** Starts a run whose output (control plane and Envoy) goes to {@code <name>.log}. */
    Process start(String name) throws IOException {
        return new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + ".log").toFile())
                .start();
    }

    /** A run's output so far, "" before it wrote any. */
    String log(String name) {
        try {
            return Files.readString(dir.resolve(name + ".log"));
        } catch (IOException e) {
            return "";
        }
    }

    /** A graceful stop: the control plane's shutdown hook stops its Envoy too. */
    void stop(Process controlPlane) throws Exception {
        controlPlane.destroy();
        if (!controlPlane.waitFor(30, TimeUnit.SECONDS)) {
            controlPlane.destroyForcibly();
        }
        Path pidFile = workDir().resolve("envoy.pid");
        if (Files.exists(pidFile)) {
            ProcessHandle.of(Long.parseLong(Files.readString(pidFile).trim()))
                    .ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
