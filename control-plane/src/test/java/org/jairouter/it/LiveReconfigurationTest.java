package org.jairouter.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.NotFoundException;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.embeddings.EmbeddingCreateParams;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.jairouter.fixtures.Closing;
import org.jairouter.fixtures.Conditions;
import org.jairouter.fixtures.Gate;
import org.jairouter.fixtures.StubBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Editing the YAML reconfigures the running Envoy; bad edits are refused; nothing in flight is dropped. */
class LiveReconfigurationTest {
    private static final String[] POLICIES = {"random", "round-robin", "least-connections", "ip-hash"};
    private static StubBackend stable1;
    private static StubBackend stable2;
    private static StubBackend extra;
    private static StubBackend streamer;
    private static RouterHarness router;
    private static OpenAIClient client;

    @BeforeAll
    static void start() throws Exception {
        stable1 = StubBackend.start("stable-1");
        stable2 = StubBackend.start("stable-2");
        extra = StubBackend.start("extra");
        streamer = StubBackend.start("streamer");
        router = RouterHarness.start(chatOnly("m", stable1));
        client = router.client();
    }

    @AfterAll
    static void stop() throws Exception {
        Closing.all(router, stable1, stable2, extra, streamer);
    }

    @Test
    void anEditReachesEnvoyAndTrafficFollows() throws Exception {
        reconfigure(chatOnly("m", stable1));
        assertTrue(chatFails("n"), "model n is not configured yet");

        reconfigure(chatOnly("m", stable1) + """
                        - {name: n, base-url: "%s"}
                """.formatted(extra.baseUrl()));

        assertEquals("Hello from extra", chat("n"));
    }

    @Test
    void aRefusedEditLeavesTrafficUntouchedAndIsVisibleInStatus() throws Exception {
        reconfigure(chatOnly("m", stable1));
        String versionInForce = router.router().configVersion();

        router.replaceConfig("""
                model:
                  services:
                    chat:
                      instances:
                        - {name: m, base-url: "%s", weight: heavy}
                """.formatted(stable2.baseUrl()));
        JsonNode refused = awaitRefusal();

        assertTrue(
                refused.path("problems")
                        .get(0)
                        .asText()
                        .matches(
                                ".*application\\.yml:8: model\\.services\\.chat\\.instances\\[0]\\.weight: .*'heavy'.*"),
                refused.toString());
        assertEquals(versionInForce, router.router().configVersion());
        assertEquals("Hello from stable-1", chat("m"));
    }

    /**
     * Envoy re-creates a cluster whose settings changed, and the new one warms until it is sent its
     * assignment: if the control plane sent nothing because the endpoints did not change, the edit would
     * wait for the initial fetch timeout (15 s) and apply with whatever Envoy had cached.
     */
    @Test
    void aClusterOnlyEditIsAppliedWithoutWaitingForTheEndpointsTimeout() throws Exception {
        reconfigure(chatOnly("m", stable1));
        long timeoutsBefore = envoyCounter("cluster.chat~m.init_fetch_timeout");

        reconfigure(chatOnly("m", stable1)
                .replace("      instances:", "      health-check: {interval: 7s}\n      instances:"));
        Conditions.await(
                "the edit in force and no cluster warming",
                Duration.ofSeconds(60),
                () -> inForce(router.router().configVersion())
                        && envoyCounter("cluster_manager.warming_clusters") == 0);

        assertEquals(timeoutsBefore, envoyCounter("cluster.chat~m.init_fetch_timeout"), "chat~m warmed by timing out");
        assertEquals("Hello from stable-1", chat("m"));
    }

    @Test
    void fiftyRewritesUnderStreamingAndNonStreamingLoadFailNoRequest() throws Exception {
        reconfigure(churn(0));
        AtomicBoolean running = new AtomicBoolean(true);
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        AtomicInteger completed = new AtomicInteger();
        ExecutorService load = Executors.newFixedThreadPool(6);
        List<Future<?>> clients = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            clients.add(load.submit(() -> untilStopped(running, failures, completed, () -> chat("m"))));
        }
        for (int i = 0; i < 2; i++) {
            clients.add(load.submit(() -> untilStopped(running, failures, completed, () -> streamChat("m"))));
        }
        clients.add(load.submit(() -> untilStopped(
                running,
                failures,
                completed,
                () -> client.embeddings()
                        .create(EmbeddingCreateParams.builder()
                                .model("e")
                                .input("hi")
                                .build()))));
        try {
            for (int rewrite = 1; rewrite <= 50; rewrite++) {
                reconfigure(churn(rewrite));
            }
            // The last config (50, even) has no "extra": once requests sent before that have finished,
            // it must get no new ones.
            int drained = completed.get() + 50;
            Conditions.await("in-flight requests draining", Duration.ofSeconds(30), () -> completed.get() >= drained);
            int extraBefore = extra.requestCount();
            Conditions.await("100 more requests", Duration.ofSeconds(30), () -> completed.get() >= drained + 100);
            assertEquals(extraBefore, extra.requestCount(), "a removed instance still got requests");
        } finally {
            running.set(false);
            for (Future<?> each : clients) {
                each.get(1, TimeUnit.MINUTES);
            }
            load.shutdown();
        }
        assertEquals(List.of(), List.copyOf(failures), "requests failed during reconfiguration");
        assertTrue(completed.get() > 200, "too little load to mean anything: " + completed.get());
    }

    /**
     * A model removed from the file is unknown to clients at once (404), never unavailable (503): Envoy must
     * stop routing to its cluster before the cluster goes, whatever order the xDS types travel in.
     */
    @Test
    void aRemovedModelIsAnsweredAsUnknownNeverAsUnavailable() throws Exception {
        Set<Integer> statuses = ConcurrentHashMap.newKeySet();
        for (int round = 0; round < 5; round++) {
            reconfigure(chatOnly("m", stable1) + instance("gone", stable2));
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicInteger notFound = new AtomicInteger();
            ExecutorService askers = Executors.newFixedThreadPool(3);
            List<Future<?>> asking = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                asking.add(askers.submit(() -> {
                    while (running.get()) {
                        int status = rawChatStatus("gone");
                        statuses.add(status);
                        if (status == 404) {
                            notFound.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            try {
                reconfigure(chatOnly("m", stable1));
                Conditions.await("the removed model answered 404", Duration.ofSeconds(30), () -> notFound.get() >= 30);
            } finally {
                running.set(false);
                for (Future<?> each : asking) {
                    each.get(1, TimeUnit.MINUTES);
                }
                askers.shutdown();
            }
        }
        assertEquals(Set.of(200, 404), statuses);
    }

    /** The status of a chat request sent by plain HTTP: many per second, and no SDK exception per answer. */
    private static int rawChatStatus(String model) throws Exception {
        return HTTP.send(
                        HttpRequest.newBuilder(URI.create(router.baseUrl() + "/chat/completions"))
                                .header("content-type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + model
                                        + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
                                .build(),
                        HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }

    @Test
    void aStreamInFlightOnARemovedInstanceCompletes() throws Exception {
        reconfigure(chatOnly("m", stable1) + instance("s", streamer));
        assertStreamSurvives(
                chatOnly("m", stable1) + instance("s", stable2), () -> chat("s").equals("Hello from stable-2"));
    }

    @Test
    void aStreamInFlightOnARemovedModelCompletes() throws Exception {
        reconfigure(chatOnly("m", stable1) + instance("s", streamer));
        assertStreamSurvives(chatOnly("m", stable1), () -> chatFails("s"));
    }

    /** Starts a stream on the streamer, applies {@code edit} while it is held, then lets it finish. */
    private static void assertStreamSurvives(String edit, java.util.concurrent.Callable<Boolean> editInEffect) {
        Gate rest = streamer.pauseStreamsAfterFirstChunk();
        assertTimeoutPreemptively(Duration.ofMinutes(1), () -> {
            try (StreamResponse<ChatCompletionChunk> stream =
                    client.chat().completions().createStreaming(params("s"))) {
                Iterator<ChatCompletionChunk> chunks = stream.stream().iterator();
                chunks.next();

                reconfigure(edit);
                // A replacement instance gets traffic once its first health check has passed.
                Conditions.await("the edit taking effect", Duration.ofSeconds(30), () -> {
                    try {
                        return editInEffect.call();
                    } catch (Exception notYet) {
                        return false;
                    }
                });
                rest.open();
                ChatCompletionChunk last = null;
                while (chunks.hasNext()) {
                    last = chunks.next();
                }
                assertEquals(
                        "stop",
                        last.choices().get(0).finishReason().orElseThrow().asString());
            }
        });
    }

    /** The n-th config of the churn: instances come and go, weights and policies change every time. */
    private static String churn(int n) {
        StringBuilder chat = new StringBuilder();
        chat.append("        - {name: m, base-url: \"%s\", weight: %d}\n".formatted(stable1.baseUrl(), 1 + n % 3));
        if (n % 3 != 0) {
            chat.append("        - {name: m, base-url: \"%s\", weight: %d}\n".formatted(stable2.baseUrl(), 1 + n % 5));
        }
        if (n % 2 == 1) {
            chat.append("        - {name: m, base-url: \"%s\"}\n".formatted(extra.baseUrl()));
            chat.append("        - {name: temporary, base-url: \"%s\"}\n".formatted(extra.baseUrl()));
        }
        return """
                model:
                  services:
                    chat:
                      load-balance: {type: %s}
                      instances:
                %s    embedding:
                      load-balance: {type: %s}
                      instances:
                        - {name: e, base-url: "%s", weight: %d}
                        - {name: e, base-url: "%s"}
                """.formatted(
                        POLICIES[n % 4], chat, POLICIES[(n + 1) % 4], stable1.baseUrl(), 1 + n % 4, stable2.baseUrl());
    }

    private static String chatOnly(String model, StubBackend stub) {
        return """
                model:
                  services:
                    chat:
                      instances:
                """ + instance(model, stub);
    }

    private static String instance(String model, StubBackend stub) {
        return "        - {name: %s, base-url: \"%s\"}\n".formatted(model, stub.baseUrl());
    }

    /** Writes a config and waits until the control plane applied it and Envoy has its endpoints. */
    private static void reconfigure(String modelYaml) throws Exception {
        Instant written = Instant.now();
        if (router.replaceConfig(modelYaml)) {
            Conditions.await(
                    "the control plane applying the edit",
                    Duration.ofSeconds(30),
                    () -> router.router()
                            .configStatus()
                            .applied()
                            .orElseThrow()
                            .at()
                            .isAfter(written));
        }
        // In force, and no cluster warming: a route to a cluster Envoy still warms answers 503 (no_cluster).
        Conditions.await(
                "the edit in force and no cluster warming",
                Duration.ofSeconds(30),
                () -> inForce(router.router().configVersion())
                        && envoyCounter("cluster_manager.warming_clusters") == 0);
        Set<String> wanted = expectedEndpoints(modelYaml);
        router.awaitEnvoy(clusters -> clusters.entrySet().stream()
                .filter(cluster -> !cluster.getKey().startsWith("jairouter_"))
                .flatMap(cluster -> cluster.getValue().stream())
                .collect(Collectors.toSet())
                .equals(wanted));
    }

    /** The host:port of every base-url in a config. */
    private static Set<String> expectedEndpoints(String yaml) {
        Set<String> endpoints = new HashSet<>();
        Matcher matcher = Pattern.compile("http://(127\\.0\\.0\\.1:\\d+)").matcher(yaml);
        while (matcher.find()) {
            endpoints.add(matcher.group(1));
        }
        return endpoints;
    }

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static JsonNode getJson(String url) throws Exception {
        return new ObjectMapper()
                .readTree(
                        HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString())
                                .body());
    }

    /** The {@code config} section of the control plane's status. */
    private static JsonNode statusConfig() throws Exception {
        return getJson("http://127.0.0.1:" + router.router().statusPort() + "/v1/status")
                .path("config");
    }

    /** True when the status names this version as in force: every Envoy acknowledged all of it. */
    private static boolean inForce(String version) {
        try {
            return version.equals(
                    statusConfig().path("in_force").path("version").asText());
        } catch (Exception notYet) {
            return false;
        }
    }

    /** An Envoy counter or gauge by its full name. */
    private static long envoyCounter(String name) {
        try {
            JsonNode values = getJson(
                            "http://" + router.router().envoyAdminAddress().orElseThrow()
                                    + "/stats?format=json&filter="
                                    + URLEncoder.encode("^" + Pattern.quote(name) + "$", StandardCharsets.UTF_8))
                    .path("stats");
            return values.size() == 1 ? values.get(0).path("value").asLong() : -1;
        } catch (Exception e) {
            throw new IllegalStateException("reading Envoy's " + name, e);
        }
    }

    private static JsonNode awaitRefusal() throws Exception {
        // In force means Envoy acknowledged it, a moment after the control plane published it.
        return Conditions.awaitValue(
                "the refused edit showing in the status beside the config in force", Duration.ofSeconds(30), () -> {
                    JsonNode config = statusConfig();
                    JsonNode refused = config.path("last_refused");
                    boolean inForce = router.router()
                            .configVersion()
                            .equals(config.path("in_force").path("version").asText());
                    return !refused.isMissingNode() && !refused.isNull() && inForce
                            ? Optional.of(refused)
                            : Optional.empty();
                });
    }

    private static String chat(String model) {
        return client.chat()
                .completions()
                .create(params(model))
                .choices()
                .get(0)
                .message()
                .content()
                .orElseThrow();
    }

    private static boolean chatFails(String model) {
        try {
            chat(model);
            return false;
        } catch (NotFoundException expected) {
            return true;
        }
    }

    private static String streamChat(String model) {
        try (StreamResponse<ChatCompletionChunk> stream =
                client.chat().completions().createStreaming(params(model))) {
            List<ChatCompletionChunk> chunks = stream.stream().toList();
            String finish = chunks.get(chunks.size() - 1)
                    .choices()
                    .get(0)
                    .finishReason()
                    .orElseThrow()
                    .asString();
            assertEquals("stop", finish, "the stream ended early");
            return finish;
        }
    }

    private static ChatCompletionCreateParams params(String model) {
        return ChatCompletionCreateParams.builder()
                .model(model)
                .addUserMessage("hi")
                .build();
    }

    private static void untilStopped(
            AtomicBoolean running,
            ConcurrentLinkedQueue<String> failures,
            AtomicInteger completed,
            java.util.concurrent.Callable<?> request) {
        while (running.get()) {
            try {
                request.call();
                completed.incrementAndGet();
            } catch (Throwable failure) {
                failures.add(failure.toString());
            }
        }
    }
}
