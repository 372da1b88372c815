package org.jairouter.envoy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs Envoy as a supervised child: its output goes to our log, it is restarted (with backoff) if
 * it dies, and it is stopped when we stop. Traffic never passes through this process.
 */
public final class EnvoyProcess implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EnvoyProcess.class);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    private final List<String> command;
    private final Path adminAddressFile;
    private final Thread supervisor;
    private volatile Process process;
    private volatile boolean stopping;

    private EnvoyProcess(List<String> command, Path adminAddressFile) {
        this.command = command;
        this.adminAddressFile = adminAddressFile;
        this.supervisor = new Thread(this::supervise, "envoy-supervisor");
        this.supervisor.setDaemon(true);
    }

    /**
     * Starts Envoy on the given bootstrap.
     *
     * @param concurrency      worker threads; 0 lets Envoy use one per core
     * @param adminAddressFile where Envoy writes its admin address once bound (the port may be 0)
     */
    public static EnvoyProcess start(Path binary, String bootstrap, Path workDir, String logLevel, int concurrency,
                                     Path adminAddressFile) throws IOException {
        Files.createDirectories(workDir);
        Path bootstrapFile = workDir.resolve("envoy-bootstrap.yaml");
        Files.writeString(bootstrapFile, bootstrap);
        List<String> command = new ArrayList<>(List.of(binary.toString(), "-c", bootstrapFile.toString(),
                // Several Envoys may share a machine (tests, fleets): no shared-memory hot restart.
                "--disable-hot-restart", "--log-level", logLevel,
                "--admin-address-path", adminAddressFile.toString()));
        if (concurrency > 0) {
            command.addAll(List.of("--concurrency", Integer.toString(concurrency)));
        }
        EnvoyProcess envoy = new EnvoyProcess(command, adminAddressFile);
        envoy.launch();
        envoy.supervisor.start();
        return envoy;
    }

    public boolean isAlive() {
        Process current = process;
        return current != null && current.isAlive();
    }

    public long pid() {
        return process.pid();
    }

    /** host:port of Envoy's admin interface, once Envoy has bound it. */
    public Optional<String> adminAddress() {
        try {
            String address = Files.readString(adminAddressFile).trim();
            return address.isEmpty() ? Optional.empty() : Optional.of(address);
        } catch (IOException notYetWritten) {
            return Optional.empty();
        }
    }

    private void launch() throws IOException {
        Process started = new ProcessBuilder(command).redirectErrorStream(true).start();
        process = started;
        Thread pump = new Thread(() -> pumpOutput(started), "envoy-log-" + started.pid());
        pump.setDaemon(true);
        pump.start();
        LOG.info("Envoy started (pid {})", started.pid());
    }

    private void supervise() {
        Duration backoff = Duration.ofMillis(250);
        while (!stopping) {
            Process current = process;
            long startedAt = System.nanoTime();
            int exit;
            try {
                exit = current.waitFor();
            } catch (InterruptedException e) {
                return;
            }
            if (stopping) {
                return;
            }
            // A run that lasted a while was healthy: start again quickly.
            if (Duration.ofNanos(System.nanoTime() - startedAt).compareTo(MAX_BACKOFF) > 0) {
                backoff = Duration.ofMillis(250);
            }
            LOG.error("Envoy (pid {}) exited with status {}; restarting in {} ms", current.pid(), exit,
                    backoff.toMillis());
            try {
                Thread.sleep(backoff.toMillis());
                if (!stopping) {
                    launch();
                }
            } catch (InterruptedException e) {
                return;
            } catch (IOException e) {
                LOG.error("Envoy could not be restarted: {}", e.getMessage());
            }
            backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
        }
    }

    private static void pumpOutput(Process process) {
        try (BufferedReader reader = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                LOG.info("[envoy] {}", line);
            }
        } catch (IOException ended) {
            // The process went away; the supervisor reports it.
        }
    }

    @Override
    public void close() throws InterruptedException {
        stopping = true;
        supervisor.interrupt();
        Process current = process;
        if (current == null) {
            return;
        }
        current.destroy();
        if (!current.waitFor(10, TimeUnit.SECONDS)) {
            current.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }
}
