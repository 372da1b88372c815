package org.jairouter.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jairouter.envoy.HostStatus;
import org.jairouter.fixtures.Conditions;
import org.jairouter.fixtures.sim.MetricsFault;
import org.jairouter.fixtures.sim.SimulatedModelServer;
import org.jairouter.fixtures.sim.SimulatedTime;
import org.jairouter.fixtures.sim.SimulatorProfile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * load-aware through a real Envoy, against simulated vLLM servers. The queue that matters is one Envoy
 * cannot see: other clients fill it directly, so Envoy's own count of requests in flight is equal for
 * both instances, and only the servers' metrics tell them apart.
 */
class LoadAwareThroughEnvoyTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final int REQUESTS = 60;
    private static final String MODEL = "sim";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Each simulated second lasts 10 ms. */
    private static final SimulatedTime TIME = SimulatedTime.scaled(0.01);

    private final HttpClient http =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final ExecutorService outsideClients = Executors.newCachedThreadPool();
    private final AtomicBoolean stopOutsideClients = new AtomicBoolean();
    private final List<SimulatedModelServer> servers = new ArrayList<>();

    @TempDir
    Path dir;

    private RouterHarness router;

    @AfterEach
    void stop() throws Exception {
        stopOutsideClients.set(true);
        outsideClients.shutdownNow();
        if (router != null) {
            router.close();
        }
        servers.forEach(SimulatedModelServer::close);
    }

    private SimulatedModelServer server(String name, int capacity) {
        SimulatedModelServer server =
                SimulatedModelServer.start(name, MODEL, 0, SimulatorProfile.of(1, capacity, 0), TIME);
        servers.add(server);
        return server;
    }

    private void startRouter() throws Exception {
        startRouter("");
    }

    /** @param modelSettings more settings of the model section, each line indented as its keys */
    private void startRouter(String modelSettings) throws Exception {
        StringBuilder instances = new StringBuilder();
        servers.forEach(s -> instances
                .append("        - {name: sim, base-url: \"")
                .append(s.baseUrl())
                .append("\"}\n"));
        router = RouterHarness.start("""
                model:
                  adapter: vllm
                """ + modelSettings + """
                  services:
                    chat:
                      load-balance: {type: load-aware, scrape-interval: 200ms}
                      instances:
                """ + instances);
    }

    private static String chat(int maxTokens) {
        return "{\"model\":\"" + MODEL + "\",\"max_tokens\":" + maxTokens
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"hello there\"}]}";
    }

    /** Sends the requests one at a time, so Envoy sees no request of its own in flight when it picks. */
    private Map<String, Integer> servedBy(String url, int requests) throws Exception {
        Map<String, Integer> served = new HashMap<>();
        for (int i = 0; i < requests; i++) {
            HttpResponse<String> response = post(url, chat(1));
            assertEquals(200, response.statusCode(), response.body());
            served.merge(
                    response.headers()
                            .firstValue(SimulatedModelServer.INSTANCE_HEADER)
                            .orElseThrow(),
                    1,
                    Integer::sum);
        }
        return served;
    }

    private HttpResponse<String> post(String url, String body) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(url + "/chat/completions"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private long weightOf(SimulatedModelServer server) throws Exception {
        String hostname = URI.create(server.baseUrl()).getAuthority();
        return router.admin().hostStatuses().stream()
                // The model's own cluster: a lookup cluster of the Responses API holds the server too, at weight 1.
                .filter(h -> h.cluster().equals("chat~" + MODEL) && h.hostname().equals(hostname))
                .mapToLong(HostStatus::weight)
                .findFirst()
                .orElse(-1);
    }

    @Test
    void anInstanceWithALongQueueGetsFewerRequests() throws Exception {
        SimulatedModelServer idle = server("idle", 4);
        SimulatedModelServer queued = server("queued", 1);
        startRouter();
        // Twelve clients straight to the server, each 200 tokens (about 45 ms) at a time: eleven always wait.
        for (int i = 0; i < 12; i++) {
            outsideClients.submit(() -> {
                while (!stopOutsideClients.get()) {
                    post(queued.baseUrl() + "/v1", chat(200));
                }
                return null;
            });
        }
        Conditions.await(
                "Envoy lowering the weight of the queued instance",
                TIMEOUT,
                () -> uncheck(() -> weightOf(queued) < 30 && weightOf(idle) == 100));

        // New weights are the same config: once Envoy has them, the status still shows that config in force.
        URI status = URI.create("http://127.0.0.1:" + router.router().statusPort() + "/v1/status");
        Conditions.await(
                "the status showing the config in force",
                TIMEOUT,
                () -> uncheck(() -> JSON.readTree(
                                http.send(HttpRequest.newBuilder(status).build(), HttpResponse.BodyHandlers.ofString())
                                        .body())
                        .at("/config/in_force/version")
                        .asText()
                        .equals(router.router().configVersion())));

        JsonNode queuedLoad = loadInStatus(queued);
        assertTrue(queuedLoad.path("waiting").asDouble() > 0, queuedLoad.toString());
        assertTrue(queuedLoad.path("share_percent").asInt() < 100, queuedLoad.toString());
        assertTrue(queuedLoad.path("kv_cache_percent").isNumber(), queuedLoad.toString());
        // Scraped every 200 ms: a reading minutes old would be a scraper that stopped.
        assertTrue(queuedLoad.path("age_seconds").asDouble() < 30, queuedLoad.toString());
        assertTrue(queuedLoad.path("scrape_problem").isNull(), queuedLoad.toString());
        assertEquals(
                100,
                loadInStatus(idle).path("share_percent").asInt(),
                loadInStatus(idle).toString());

        Map<String, Integer> served = servedBy(router.baseUrl(), REQUESTS);

        int toQueued = served.getOrDefault("queued", 0);
        // Plain least-request would split these about evenly (30 each); the weights give the queued one ~1/10.
        assertTrue(toQueued < REQUESTS / 3, "the queued instance served " + served);
    }

    @Test
    void scrapesThatHangFailOrAnswerGarbageNeverStopTraffic() throws Exception {
        SimulatedModelServer hangs = server("hangs", 4);
        SimulatedModelServer fails = server("fails", 4);
        SimulatedModelServer garbage = server("garbage", 4);
        hangs.setMetricsFault(MetricsFault.HANG);
        fails.setMetricsFault(MetricsFault.ERROR);
        garbage.setMetricsFault(MetricsFault.GARBAGE);
        startRouter();
        // A hanging scrape fails only when its timeout runs out: traffic is measured once every scrape has failed.
        for (SimulatedModelServer server : servers) {
            Conditions.awaitValue(
                    "a failed scrape of " + server.name() + " in the status",
                    TIMEOUT,
                    () -> Optional.of(loadInStatus(server))
                            .filter(load -> load.path("scrape_problem").isTextual()));
        }

        Map<String, Integer> served = servedBy(router.baseUrl(), REQUESTS);

        for (SimulatedModelServer server : servers) {
            assertTrue(served.getOrDefault(server.name(), 0) >= REQUESTS / 10, server.name() + " served " + served);
            assertEquals(100, weightOf(server), server.name() + " keeps its full weight");
            JsonNode load = loadInStatus(server);
            assertTrue(load.path("scrape_problem").isTextual(), server.name() + ": " + load);
            assertEquals(100, load.path("share_percent").asInt(), server.name() + ": " + load);
            assertTrue(load.path("waiting").isNull(), server.name() + " was never read: " + load);
        }
    }

    @Test
    void httpsInstancesAreScrapedWithTheCaBundleEnvoyUses() throws Exception {
        SelfSignedCertificate bundled = SelfSignedCertificate.create(dir, "bundled");
        SelfSignedCertificate other = SelfSignedCertificate.create(dir, "other");
        servers.add(SimulatedModelServer.startHttps(
                "trusted", MODEL, SimulatorProfile.of(1, 4, 0), TIME, bundled.serverContext()));
        servers.add(SimulatedModelServer.startHttps(
                "untrusted", MODEL, SimulatorProfile.of(1, 4, 0), TIME, other.serverContext()));
        // Self-signed: the JDK's trust store vouches for neither; only the configured bundle can.
        startRouter("  tls: {ca-file: \"" + bundled.pem() + "\"}\n");

        JsonNode trusted = Conditions.awaitValue(
                "a reading of the https instance the bundle vouches for",
                TIMEOUT,
                () -> Optional.of(loadInStatus(servers.get(0)))
                        .filter(load -> load.path("waiting").isNumber()));
        JsonNode untrusted = Conditions.awaitValue(
                "a failed scrape of the https instance the bundle does not vouch for",
                TIMEOUT,
                () -> Optional.of(loadInStatus(servers.get(1)))
                        .filter(load -> load.path("scrape_problem").isTextual()));

        assertTrue(trusted.path("scrape_problem").isNull(), trusted.toString());
        assertTrue(untrusted.path("waiting").isNull(), untrusted.toString());
        assertEquals(100, untrusted.path("share_percent").asInt(), untrusted.toString());
    }

    /** The instance's load as the chat service's status reports it. */
    private JsonNode loadInStatus(SimulatedModelServer server) throws Exception {
        HttpResponse<String> response = http.send(
                HttpRequest.newBuilder(URI.create(router.baseUrl() + "/chat/status"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        for (JsonNode instance : JSON.readTree(response.body()).path("instances")) {
            if (instance.path("base_url").asText().equals(server.baseUrl())) {
                return instance.path("load");
            }
        }
        throw new AssertionError("no instance " + server.baseUrl() + " in " + response.body());
    }

    /** Conditions take a plain boolean; the admin calls throw. */
    private static boolean uncheck(java.util.concurrent.Callable<Boolean> check) {
        try {
            return check.call();
        } catch (Exception e) {
            return false;
        }
    }
}
