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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs Envoy as a supervised process: its output goes to our log (through {@link EnvoyLogLines}, which says
 * expected warnings once), it is restarted if it dies (at once after a run that served, with backoff in a
 * crash loop), and it is stopped when we stop. Traffic never passes through this process.
 *
 * <p>If the control plane itself dies (kill -9), Envoy keeps serving its last config. A control
 * plane started again on the same work folder finds that Envoy through the pid file and adopts it
 * instead of starting a second one, provided its bootstrap is unchanged; Envoy then reconnects to the
 * xDS port by itself.
 */
public final class EnvoyProcess implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EnvoyProcess.class);
    private static final Duration MIN_BACKOFF = Duration.ofMillis(250);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    private static final Duration READY_POLL = Duration.ofMillis(10);
    /**
     * How often an adopted Envoy is checked for having exited. The JDK learns of its own children's exit at
     * once; an adopted Envoy is not our child, and one that was killed stays a zombie, which the JDK counts
     * as alive, until whoever adopted the orphan (init, or a container's first process) reaps it: 1.4 to 2.7 s
     * on our CI machines, against 0.1 s to restart an Envoy this control plane started.
     */
    private static final Duration ADOPTED_EXIT_POLL = Duration.ofMillis(20);

    private final List<String> command;
    private final Path pidFile;
    private final Path adminAddressFile;
    private final Thread supervisor;
    private final EnvoyLogLines logLines = new EnvoyLogLines();
    private volatile ProcessHandle process;
    /** The Envoy running now has answered ready (its first config in force) since it was started or adopted. */
    private volatile boolean ready;

    private volatile boolean stopping;
    private final AtomicLong restarts = new AtomicLong();

    private EnvoyProcess(List<String> command, Path workDir) {
        this.command = command;
        this.pidFile = workDir.resolve("envoy.pid");
        this.adminAddressFile = workDir.resolve("envoy-admin-address");
        this.supervisor = new Thread(this::supervise, "envoy-supervisor");
        this.supervisor.setDaemon(true);
    }

    /**
     * Starts Envoy on the given bootstrap, or adopts the one a previous control plane left running
     * in the same work folder with the same bootstrap.
     *
     * @param concurrency worker threads; 0 lets Envoy use one per core
     */
    public static EnvoyProcess startOrAdopt(
            Path binary, String bootstrap, Path workDir, String logLevel, int concurrency) throws IOException {
        Files.createDirectories(workDir);
        Path bootstrapFile = workDir.resolve("envoy-bootstrap.yaml");
        List<String> command = new ArrayList<>(List.of(
                binary.toString(),
                "-c",
                bootstrapFile.toString(),
                // Several Envoys may share a machine (tests, fleets): no shared-memory hot restart.
                "--disable-hot-restart",
                "--log-level",
                logLevel,
                // Envoy writes the admin address it bound, so the admin port may be 0.
                "--admin-address-path",
                workDir.resolve("envoy-admin-address").toString()));
        if (concurrency > 0) {
            command.addAll(List.of("--concurrency", Integer.toString(concurrency)));
        }
        EnvoyProcess envoy = new EnvoyProcess(command, workDir);
        Optional<ProcessHandle> running = envoy.runningEnvoy();
        boolean sameBootstrap =
                Files.exists(bootstrapFile) && Files.readString(bootstrapFile).equals(bootstrap);
        if (running.isPresent() && sameBootstrap) {
            envoy.process = running.get();
            LOG.info(
                    "Adopted the Envoy (pid {}) left running in {}",
                    running.get().pid(),
                    workDir);
        } else {
            running.ifPresent(old -> {
                LOG.warn("Stopping the Envoy (pid {}) left running in {}: its bootstrap differs", old.pid(), workDir);
                stop(old);
            });
            Files.writeString(bootstrapFile, bootstrap);
            envoy.launch();
        }
        envoy.supervisor.start();
        return envoy;
    }

    /** The Envoy whose pid the work folder records, if it is still alive. */
    private Optional<ProcessHandle> runningEnvoy() throws IOException {
        if (!Files.exists(pidFile)) {
            return Optional.empty();
        }
        try {
            long pid = Long.parseLong(Files.readString(pidFile).trim());
            return ProcessHandle.of(pid)
                    .filter(ProcessHandle::isAlive)
                    .filter(p -> p.info()
                            .command()
                            .map(c -> c.equals(command.get(0)))
                            .orElse(false));
        } catch (NumberFormatException corrupt) {
            return Optional.empty();
        }
    }

    public boolean isAlive() {
        ProcessHandle current = process;
        return current != null && current.isAlive();
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

    /**
     * The admin address once the Envoy running now is ready. Heavy admin reads (all clusters' hosts) wait
     * for it: before, they would take Envoy's main thread from the initial config it is still taking in.
     */
    public Optional<String> readyAdminAddress() {
        return ready ? adminAddress() : Optional.empty();
    }

    /** Times Envoy exited on its own and was started again. */
    public long restarts() {
        return restarts.get();
    }

    private void launch() throws IOException {
        Files.deleteIfExists(adminAddressFile);
        Process started = new ProcessBuilder(command).redirectErrorStream(true).start();
        process = started.toHandle();
        Files.writeString(pidFile, Long.toString(started.pid()));
        Thread pump = new Thread(() -> forwardOutput(started), "envoy-log-" + started.pid());
        pump.setDaemon(true);
        pump.start();
        LOG.info("Envoy started (pid {})", started.pid());
    }

    /**
     * Restarts Envoy whenever it exits. An Envoy that had become ready was serving: the next one starts
     * at once, since every moment without it refuses connections. One that died before it was ready
     * is in a crash loop (a port taken, a broken bootstrap), and each further try waits twice as long.
     */
    private void supervise() {
        Duration backoff = MIN_BACKOFF;
        while (!stopping) {
            ProcessHandle current = process;
            boolean wasReady;
            try {
                wasReady = becameReady(current);
                ready = wasReady;
                awaitExit(current);
            } catch (InterruptedException e) {
                return;
            } catch (ExecutionException e) {
                LOG.error("Watching Envoy failed", e);
                return;
            }
            ready = false;
            if (stopping) {
                return;
            }
            Duration wait = wasReady ? Duration.ZERO : backoff;
            backoff = wasReady
                    ? MIN_BACKOFF
                    : backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
            LOG.error("Envoy (pid {}) exited; restarting in {} ms", current.pid(), wait.toMillis());
            restarts.incrementAndGet();
            try {
                Thread.sleep(wait.toMillis());
                if (!stopping) {
                    launch();
                }
            } catch (InterruptedException e) {
                return;
            } catch (IOException e) {
                LOG.error("Envoy could not be restarted: {}", e.getMessage());
            }
        }
    }

    /** Returns when the Envoy has exited: at once for our own child, within a poll period for an adopted one. */
    private static void awaitExit(ProcessHandle envoy) throws InterruptedException, ExecutionException {
        boolean ourChild = envoy.parent().map(ProcessHandle.current()::equals).orElse(false);
        if (ourChild) {
            envoy.onExit().get();
            return;
        }
        while (envoy.isAlive() && !zombie(envoy)) {
            Thread.sleep(ADOPTED_EXIT_POLL.toMillis());
        }
    }

    /** True when Linux reports the process dead but not yet reaped (state Z or X in /proc/PID/stat). */
    private static boolean zombie(ProcessHandle process) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"));
            // The state follows the command name, which is in parentheses and may itself hold spaces.
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state == 'Z' || state == 'X';
        } catch (IOException | IndexOutOfBoundsException gone) {
            // No /proc (not Linux), or the process is gone already: isAlive() decides.
            return false;
        }
    }

    /** Polls the admin interface until Envoy is ready (true) or has exited (false). */
    private boolean becameReady(ProcessHandle envoy) throws InterruptedException {
        while (envoy.isAlive() && !stopping) {
            Optional<EnvoyAdmin> admin = adminAddress().map(EnvoyAdmin::new);
            try {
                if (admin.isPresent() && admin.get().isReady()) {
                    return true;
                }
            } catch (IOException notYet) {
                // Still starting.
            }
            Thread.sleep(READY_POLL.toMillis());
        }
        return false;
    }

    private void forwardOutput(Process process) {
        try (BufferedReader reader =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            EnvoyLogLines.ProcessOutput output = logLines.newProcess();
            String line;
            while ((line = reader.readLine()) != null) {
                output.forward(line, stopping)
                        .ifPresent(forwarded -> LOG.atLevel(forwarded.level()).log("[envoy] {}", forwarded.text()));
            }
        } catch (IOException ended) {
            // The process went away; the supervisor reports it.
        }
    }

    /** Asks Envoy to stop (SIGTERM), then forces it after a grace period. */
    private static void stop(ProcessHandle envoy) {
        envoy.destroy();
        try {
            envoy.onExit().get(10, TimeUnit.SECONDS);
        } catch (TimeoutException | ExecutionException e) {
            envoy.destroyForcibly();
        } catch (InterruptedException e) {
            envoy.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() throws IOException {
        stopping = true;
        supervisor.interrupt();
        ProcessHandle current = process;
        if (current != null) {
            stop(current);
        }
        Files.deleteIfExists(pidFile);
    }
}
