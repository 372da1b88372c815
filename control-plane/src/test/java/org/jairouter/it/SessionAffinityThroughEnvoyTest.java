package org.jairouter.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.jairouter.fixtures.Conditions;
import org.jairouter.fixtures.Gate;
import org.jairouter.fixtures.StubBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Session affinity with bounded load, through a real Envoy: the session header picks the instance. */
class SessionAffinityThroughEnvoyTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final String CHAT = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    private final HttpClient http =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final List<StubBackend> stubs = new ArrayList<>();
    private RouterHarness router;

    @BeforeEach
    void start() throws Exception {
        for (String name : List.of("a", "b", "c")) {
            stubs.add(StubBackend.start(name));
        }
        router = RouterHarness.start(config(stubs));
    }

    @AfterEach
    void stop() throws Exception {
        if (router != null) {
            router.close();
        }
        stubs.forEach(StubBackend::close);
    }

    private static String config(List<StubBackend> instances) {
        return """
                model:
                  services:
                    chat:
                      load-balance: {type: least-connections, session-header: x-session-id, session-balance-factor: 150}
                      instances:
                """
                + instances.stream()
                        .map(s -> "        - {name: m, base-url: \"" + s.baseUrl() + "\"}\n")
                        .collect(Collectors.joining());
    }

    private CompletableFuture<HttpResponse<String>> send(String session) {
        return http.sendAsync(
                HttpRequest.newBuilder(URI.create(router.baseUrl() + "/chat/completions"))
                        .header("Content-Type", "application/json")
                        .header("x-session-id", session)
                        .POST(HttpRequest.BodyPublishers.ofString(CHAT))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Sends the session's requests one after the other; returns the instances that served them. */
    private Set<StubBackend> servingInstances(String session, int requests) throws Exception {
        Set<StubBackend> serving = new HashSet<>();
        for (int i = 0; i < requests; i++) {
            List<Integer> before = stubs.stream().map(StubBackend::requestCount).toList();
            assertEquals(200, send(session).join().statusCode());
            for (int s = 0; s < stubs.size(); s++) {
                if (stubs.get(s).requestCount() > before.get(s)) {
                    serving.add(stubs.get(s));
                }
            }
        }
        return serving;
    }

    @Test
    void eachSessionStaysOnOneInstanceAndSessionsSpread() throws Exception {
        Set<StubBackend> used = new HashSet<>();
        for (int session = 0; session < 12; session++) {
            Set<StubBackend> serving = servingInstances("session-" + session, 50 / 12 + 1);
            assertEquals(1, serving.size(), "session-" + session + " was served by " + serving);
            used.addAll(serving);
        }
        assertTrue(servingInstances("session-long", 50).size() == 1, "50 requests of one session, one instance");
        assertTrue(used.size() >= 2, "12 sessions all landed on " + used);
    }

    @Test
    void aSessionMovesOffAnOverloadedInstance() throws Exception {
        StubBackend owner = servingInstances("busy", 1).iterator().next();
        Gate held = owner.holdRequests();
        try {
            List<CompletableFuture<HttpResponse<String>>> requests = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                requests.add(send("busy"));
                int sent = i + 1;
                // One at a time, so that Envoy sees each held request before it places the next.
                Conditions.await("request " + sent + " placed", TIMEOUT, () -> placed() == sent + 1);
            }
            int elsewhere = stubs.stream()
                    .filter(s -> s != owner)
                    .mapToInt(StubBackend::requestCount)
                    .sum();
            assertTrue(
                    owner.inFlight() < 12 && elsewhere > 0,
                    "owner holds " + owner.inFlight() + ", others got " + elsewhere);
            held.open();
            requests.forEach(r -> assertEquals(200, r.join().statusCode()));
        } finally {
            held.open();
        }
    }

    @Test
    void aSessionWhoseInstanceIsRemovedMovesAndStaysMoved() throws Exception {
        StubBackend owner = servingInstances("moving", 1).iterator().next();
        List<StubBackend> rest = stubs.stream().filter(s -> s != owner).toList();
        router.replaceConfig(config(rest));
        router.awaitEnvoy(endpoints -> endpoints.values().stream().anyMatch(hosts -> hosts.size() == 2));
        int ownerRequests = owner.requestCount();

        Set<StubBackend> serving = servingInstances("moving", 20);

        assertEquals(1, serving.size(), "after the move: " + serving);
        assertNotEquals(owner, serving.iterator().next());
        assertEquals(ownerRequests, owner.requestCount());
    }

    /** Requests the stubs have received, in total. */
    private int placed() {
        return stubs.stream().mapToInt(StubBackend::requestCount).sum();
    }
}
