package org.jairouter.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
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
 * Five Envoys on one control plane, as a fleet runs them (the control plane does not start Envoy; each
 * connects to its xDS port): one edit reaches all, the status lists all, and a control plane killed
 * with SIGKILL and started again on the same config loses no request on any of them, brings every
 * Envoy back to the config in force and makes none replace a listener or a cluster.
 */
class FleetControlPlaneRestartTest {
    private static final int ENVOYS = 5;
    /** Requests each Envoy must answer in each phase (control plane down; restarted and reconnected). */
    private static final int REQUESTS_PER_PHASE = 30;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    @Test
    void oneControlPlaneConfiguresEveryEnvoyAndItsRestartLosesNoRequestOnAny() throws Exception {
        try (StubBackend before = StubBackend.start("before");
                StubBackend after = StubBackend.start("after")) {
            Path config = Files.writeString(dir.resolve("application.yml"), config(before));
            ControlPlaneProcess controlPlane = ControlPlaneProcess.on(dir, config, "--no-envoy");
            List<FleetEnvoy> envoys = new ArrayList<>();
            Traffic traffic = new Traffic();
            try {
                controlPlane.start("first");
                for (int i = 0; i < ENVOYS; i++) {
                    envoys.add(FleetEnvoy.start(dir.resolve("envoy-" + i), "fleet-" + i, controlPlane.xdsPort()));
                }
                awaitEveryEnvoyAnswering(envoys, "Hello from before");

                Path next = Files.writeString(dir.resolve("next.yml"), config(after));
                Files.move(next, config, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                awaitEveryEnvoyAnswering(envoys, "Hello from after");
                String inForce = awaitEveryEnvoyAccepting(controlPlane, envoys, Optional.empty());
                Map<String, Map<String, Long>> replacementsBefore = replacements(envoys);

                traffic.start(envoys);
                controlPlane.kill();
                traffic.awaitEachAnsweredMore(REQUESTS_PER_PHASE, "with the control plane killed");
                controlPlane.start("second");
                assertEquals(
                        inForce,
                        awaitEveryEnvoyAccepting(controlPlane, envoys, Optional.of(inForce)),
                        "the restarted control plane must serve the same config version");
                traffic.awaitEachAnsweredMore(REQUESTS_PER_PHASE, "after the restart");
                traffic.stop();

                assertEquals(List.of(), traffic.failures(), "requests failed during the kill or the restart");
                assertEquals(
                        replacementsBefore,
                        replacements(envoys),
                        "a restarted control plane with the same config must not make an Envoy replace (drain or"
                                + " warm again) a listener or a cluster");
            } finally {
                traffic.stop();
                for (FleetEnvoy envoy : envoys) {
                    envoy.close();
                }
                controlPlane.stop();
            }
        }
    }

    private static void awaitEveryEnvoyAnswering(List<FleetEnvoy> envoys, String answer) throws Exception {
        for (FleetEnvoy envoy : envoys) {
            Conditions.await(
                    envoy.nodeId() + " answering '" + answer + "'",
                    Duration.ofMinutes(1),
                    () -> envoy.answer("m").orElse("").equals(answer));
        }
    }

    /**
     * Waits until the status lists exactly these Envoys and each accepted the config in force (the one
     * expected, when given); returns that config's version.
     */
    private static String awaitEveryEnvoyAccepting(
            ControlPlaneProcess controlPlane, List<FleetEnvoy> envoys, Optional<String> expected) throws Exception {
        TreeSet<String> nodeIds =
                new TreeSet<>(envoys.stream().map(FleetEnvoy::nodeId).toList());
        return Conditions.awaitValue(
                "the status listing " + nodeIds + ", each with the config in force", Duration.ofMinutes(2), () -> {
                    JsonNode status = status(controlPlane);
                    String inForce = status.path("config")
                            .path("in_force")
                            .path("version")
                            .asText("");
                    TreeSet<String> accepting = new TreeSet<>();
                    TreeSet<String> listed = new TreeSet<>();
                    for (JsonNode envoy : status.path("envoys")) {
                        listed.add(envoy.path("node_id").asText());
                        if (!inForce.isEmpty()
                                && inForce.equals(envoy.path("accepted_version").asText())) {
                            accepting.add(envoy.path("node_id").asText());
                        }
                    }
                    boolean done = listed.equals(nodeIds)
                            && accepting.equals(nodeIds)
                            && expected.map(inForce::equals).orElse(true);
                    return done ? Optional.of(inForce) : Optional.empty();
                });
    }

    private static JsonNode status(ControlPlaneProcess controlPlane) throws IOException, InterruptedException {
        URI uri = URI.create("http://127.0.0.1:" + controlPlane.statusPort() + "/v1/status");
        return JSON.readTree(HTTP.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString())
                .body());
    }

    private static Map<String, Map<String, Long>> replacements(List<FleetEnvoy> envoys) throws Exception {
        Map<String, Map<String, Long>> counters = new LinkedHashMap<>();
        for (FleetEnvoy envoy : envoys) {
            counters.put(envoy.nodeId(), envoy.replacements());
        }
        return counters;
    }

    /** One client loop per Envoy, each request checked for the answer of the config in force. */
    private static final class Traffic {
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        private final List<AtomicInteger> answered = new ArrayList<>();
        private final List<Future<?>> loops = new ArrayList<>();
        private ExecutorService threads;

        void start(List<FleetEnvoy> envoys) {
            threads = Executors.newFixedThreadPool(envoys.size());
            for (FleetEnvoy envoy : envoys) {
                AtomicInteger count = new AtomicInteger();
                answered.add(count);
                loops.add(threads.submit(() -> {
                    while (running.get()) {
                        try {
                            String answer = envoy.chat("m");
                            if (!answer.equals("Hello from after")) {
                                failures.add(envoy.nodeId() + " answered " + answer);
                            }
                            count.incrementAndGet();
                        } catch (RuntimeException failure) {
                            failures.add(envoy.nodeId() + ": " + failure);
                        }
                    }
                }));
            }
        }

        void awaitEachAnsweredMore(int requests, String when) throws InterruptedException {
            List<Integer> from = answered.stream().map(AtomicInteger::get).toList();
            Conditions.await(
                    "every Envoy answering " + requests + " more requests " + when, Duration.ofMinutes(2), () -> {
                        for (int i = 0; i < answered.size(); i++) {
                            if (answered.get(i).get() < from.get(i) + requests) {
                                return false;
                            }
                        }
                        return true;
                    });
        }

        List<String> failures() {
            return List.copyOf(failures);
        }

        void stop() throws Exception {
            running.set(false);
            for (Future<?> loop : loops) {
                loop.get(1, TimeUnit.MINUTES);
            }
            loops.clear();
            if (threads != null) {
                threads.shutdown();
            }
        }
    }

    private static String config(StubBackend backend) {
        return """
                server: {address: 127.0.0.1, port: 0}
                model:
                  services:
                    chat:
                      instances:
                        - {name: m, base-url: "%s"}
                """.formatted(backend.baseUrl());
    }
}
