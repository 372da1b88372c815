package org.jairouter.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.jairouter.config.ServiceType;
import org.jairouter.fixtures.Conditions;
import org.jairouter.fixtures.StubBackend;
import org.jairouter.translate.FleetEndpoints;
import org.junit.jupiter.api.Test;

/**
 * A rate limit is shared over the Envoys of one control plane: alone, an Envoy admits the whole
 * bucket; once a second one has joined, the two together admit about one bucket, not one each; once it
 * has left, the first has the whole bucket again.
 */
class FleetRateLimitTest {
    private static final int CAPACITY = 20;
    /** Tokens per second: what the bucket regains while a burst is being sent. */
    private static final int RATE = 1;
    /** Rounding: each Envoy's share of a refill is rounded up to a whole token. */
    private static final int SLACK = 2;

    @Test
    void oneEnvoyHasTheWholeBucketAndTwoShareIt() throws Exception {
        try (StubBackend stub = StubBackend.start("limited");
                Deployment deployment = Deployment.start(
                        """
                        model:
                          services:
                            chat:
                              health-check: {type: none}
                              rate-limit: {enabled: true, scope: model, capacity: %d, rate: %d}
                              instances:
                                - {name: alone, base-url: "%s"}
                                - {name: shared, base-url: "%s"}
                                - {name: after, base-url: "%s"}
                        """.formatted(CAPACITY, RATE, stub.baseUrl(), stub.baseUrl(), stub.baseUrl()))) {
            Deployment.Envoy first = deployment.addEnvoy(new LocalEnvoy(), "edge-1");
            awaitFleetSeenBy(1, List.of(first));
            Burst alone = Burst.of(List.of(first), "alone");
            assertTrue(
                    alone.admitted() >= CAPACITY && alone.admitted() <= alone.mostAdmissible(),
                    "one Envoy admitted " + alone);

            Deployment.Envoy second = deployment.addEnvoy(new LocalEnvoy(), "edge-2");
            awaitFleetSeenBy(2, List.of(first, second));
            Burst shared = Burst.of(List.of(first, second), "shared");
            assertTrue(
                    shared.admitted() >= CAPACITY - SLACK && shared.admitted() <= shared.mostAdmissible(),
                    "two Envoys admitted " + shared + " (" + 2 * CAPACITY + " if each had its own bucket)");
            assertEquals(Set.of(200, 429), shared.statuses(), "what the burst met");

            deployment.stopEnvoy(second);
            awaitFleetSeenBy(1, List.of(first));
            Burst after = Burst.of(List.of(first), "after");
            assertTrue(
                    after.admitted() >= CAPACITY && after.admitted() <= after.mostAdmissible(),
                    "the Envoy left alone admitted " + after);
        }
    }

    /** Waits until each Envoy's local cluster has one member per Envoy: its share of every bucket. */
    private static void awaitFleetSeenBy(int members, List<Deployment.Envoy> envoys) throws Exception {
        for (Deployment.Envoy envoy : envoys) {
            Conditions.await(
                    envoy.nodeId() + " counting " + members + " Envoys",
                    Duration.ofSeconds(30),
                    () -> fleetSize(envoy) == members);
        }
    }

    private static int fleetSize(Deployment.Envoy envoy) {
        try {
            return envoy.admin()
                    .clusterEndpoints()
                    .getOrDefault(FleetEndpoints.CLUSTER, Set.of())
                    .size();
        } catch (Exception notYet) {
            return -1;
        }
    }

    /**
     * Twice the bucket (each model has its own, full until its burst), sent in turn to each Envoy as
     * fast as they answer.
     *
     * @param mostAdmissible the bucket plus what it regained while the burst lasted
     */
    private record Burst(int admitted, int sent, long mostAdmissible, Set<Integer> statuses) {
        static Burst of(List<Deployment.Envoy> envoys, String model) throws Exception {
            long started = System.nanoTime();
            int admitted = 0;
            Set<Integer> statuses = new TreeSet<>();
            for (int i = 0; i < 2 * CAPACITY; i++) {
                HttpResponse<String> response = envoys.get(i % envoys.size()).call(ServiceType.CHAT, model);
                statuses.add(response.statusCode());
                if (response.statusCode() == 200) {
                    admitted++;
                }
            }
            long seconds = Duration.ofNanos(System.nanoTime() - started).toSeconds() + 1;
            return new Burst(admitted, 2 * CAPACITY, CAPACITY + seconds * RATE + SLACK, statuses);
        }
    }
}
