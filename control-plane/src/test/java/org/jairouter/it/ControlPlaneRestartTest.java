package org.jairouter.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jairouter.fixtures.Conditions;
import org.jairouter.fixtures.StubBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control plane is not on the traffic path: killed with SIGKILL under load, it loses no request,
 * and once started again on the same work folder it adopts the running Envoy and edits apply again.
 * The control plane runs as a real separate process here, so that it can really be killed.
 */
class ControlPlaneRestartTest {
    @TempDir
    Path dir;

    @Test
    void killingTheControlPlaneLosesNoRequestAndARestartedOneAppliesEditsAgain() throws Exception {
        try (StubBackend before = StubBackend.start("before");
                StubBackend after = StubBackend.start("after")) {
            int listenerPort = ControlPlaneProcess.freePort();
            Path config = dir.resolve("application.yml");
            Files.writeString(config, config(listenerPort, before));
            ControlPlaneProcess controlPlane = ControlPlaneProcess.on(dir, config);
            controlPlane.start("first");
            OpenAIClient client = RouterHarness.clientBuilder("http://127.0.0.1:" + listenerPort + "/v1")
                    .apiKey("k")
                    .build();
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicInteger completed = new AtomicInteger();
            ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
            ExecutorService load = Executors.newFixedThreadPool(2);
            List<Future<?>> clients = new ArrayList<>();
            try {
                Conditions.await(
                        "the router serving",
                        Duration.ofMinutes(2),
                        () -> answers(client).isPresent());
                for (int i = 0; i < 2; i++) {
                    clients.add(load.submit(() -> {
                        while (running.get()) {
                            try {
                                answers(client).orElseThrow();
                                completed.incrementAndGet();
                            } catch (RuntimeException failure) {
                                failures.add(failure.toString());
                            }
                        }
                    }));
                }
                long envoyPid = Long.parseLong(
                        Files.readString(dir.resolve("work/envoy.pid")).trim());

                controlPlane.kill();
                int atKill = completed.get();
                Conditions.await(
                        "200 requests after the kill", Duration.ofMinutes(2), () -> completed.get() >= atKill + 200);
                controlPlane.start("second");
                Conditions.await(
                        "the restarted control plane adopting Envoy",
                        Duration.ofMinutes(2),
                        () -> controlPlane.log("second").contains("Adopted the Envoy"));
                // The load ends here: the edit below replaces the model's only instance, and a replacement
                // gets traffic only after its first health check.
                running.set(false);
                for (Future<?> each : clients) {
                    each.get(1, TimeUnit.MINUTES);
                }
                assertEquals(
                        List.of(),
                        List.copyOf(failures),
                        "requests failed while the control plane was down or restarting");
                Path next = Files.writeString(dir.resolve("next.yml"), config(listenerPort, after));
                Files.move(next, config, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                Conditions.await(
                        "the edit taking effect",
                        Duration.ofMinutes(2),
                        () -> answers(client).orElse("").equals("Hello from after"));

                assertEquals(
                        envoyPid,
                        Long.parseLong(
                                Files.readString(dir.resolve("work/envoy.pid")).trim()),
                        "the restarted control plane must adopt the running Envoy, not start another");
            } finally {
                running.set(false);
                for (Future<?> each : clients) {
                    each.get(1, TimeUnit.MINUTES);
                }
                load.shutdown();
                controlPlane.stop();
            }
            assertTrue(completed.get() > 200);
        }
    }

    private static Optional<String> answers(OpenAIClient client) {
        try {
            return Optional.of(RouterHarness.chat(client, "m"));
        } catch (RuntimeException notYet) {
            return Optional.empty();
        }
    }

    private static String config(int listenerPort, StubBackend backend) {
        return """
                server: {address: 127.0.0.1, port: %d}
                model:
                  services:
                    chat:
                      instances:
                        - {name: m, base-url: "%s"}
                """.formatted(listenerPort, backend.baseUrl());
    }
}
