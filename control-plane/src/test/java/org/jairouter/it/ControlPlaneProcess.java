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
 * The control plane as a real process of its own (this test JVM's class path), so that a test can
 * SIGKILL it and start it again on the same ports and work folder. Its output goes to
 * {@code <dir>/<name>.log}.
 */
final class ControlPlaneProcess {
    private final Path dir;
    private final List<String> command;
    private Process process;

    private ControlPlaneProcess(Path dir, List<String> command) {
        this.dir = dir;
        this.command = command;
    }

    /**
     * A control plane on free ports (fixed for its restarts), its Envoy's state in {@code dir/work}.
     *
     * @param extraArguments further command-line flags, e.g. {@code --no-envoy}
     */
    static ControlPlaneProcess on(Path dir, Path config, String... extraArguments) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(
                java,
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
                dir.resolve("work").toString(),
                "--concurrency",
                "2",
                "--envoy-install-dir",
                EnvoyBinary.defaultInstallDir().toString()));
        command.addAll(List.of(extraArguments));
        return new ControlPlaneProcess(dir, command);
    }

    int xdsPort() {
        return Integer.parseInt(command.get(command.indexOf("--xds-port") + 1));
    }

    int statusPort() {
        return Integer.parseInt(command.get(command.indexOf("--status-port") + 1));
    }

    /** Starts it (again), writing its output to {@code <name>.log}. */
    void start(String name) throws IOException {
        process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + ".log").toFile())
                .start();
    }

    /** SIGKILL: no shutdown hook runs, as when the machine or the JVM dies. */
    void kill() throws InterruptedException {
        process.destroyForcibly().waitFor();
    }

    /**
     * A graceful stop (SIGTERM): the shutdown hook stops a supervised Envoy too; one that outlived it
     * (its pid file is left) is killed.
     */
    void stop() throws Exception {
        if (process == null) {
            return;
        }
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
        Path pidFile = workDir().resolve("envoy.pid");
        if (Files.exists(pidFile)) {
            ProcessHandle.of(Long.parseLong(Files.readString(pidFile).trim()))
                    .ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    Path workDir() {
        return dir.resolve("work");
    }

    String log(String name) {
        try {
            return Files.readString(dir.resolve(name + ".log"));
        } catch (IOException notYetWritten) {
            return "";
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
