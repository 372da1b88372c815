package org.jairouter.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.models.Model;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.jairouter.fixtures.Closing;
import org.jairouter.fixtures.Conditions;
import org.jairouter.fixtures.StubBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Dead instances stop getting traffic, everyone can see it in the status, and they come back. */
class HealthAndFailoverTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    /** Checks every 500 ms; one failure marks an instance down. */
    private static final Duration CHECK_INTERVAL = Duration.ofMillis(500);

    private StubBackend first;
    private StubBackend second;
    private StubBackend pairOne;
    private StubBackend pairTwo;
    private StubBackend embedder;
    private RouterHarness router;
    private OpenAIClient client;

    @BeforeEach
    void start() throws Exception {
        first = StubBackend.start("first");
        second = StubBackend.start("second");
        pairOne = StubBackend.start("pair-1");
        pairTwo = StubBackend.start("pair-2");
        embedder = StubBackend.start("embedder");
        router = RouterHarness.start("""
                model:
                  health-check: {interval: %dms, timeout: 400ms, unhealthy-threshold: 1, healthy-threshold: 1}
                  services:
                    chat:
                      load-balance: {type: round-robin}
                      instances:
                        - {name: m, base-url: "%s"}
                        - {name: m, base-url: "%s"}
                        - {name: pair, base-url: "%s"}
                        - {name: pair, base-url: "%s"}
                    embedding:
                      instances:
                        - {name: bge-m3, base-url: "%s"}
                        - {name: bge-retired, base-url: "%s", status: inactive}
                """.formatted(
                        CHECK_INTERVAL.toMillis(),
                        first.baseUrl(),
                        second.baseUrl(),
                        pairOne.baseUrl(),
                        pairTwo.baseUrl(),
                        embedder.baseUrl(),
                        embedder.baseUrl()));
        client = router.client();
    }

    @AfterEach
    void stop() throws Exception {
        Closing.all(router, first, second, pairOne, pairTwo, embedder);
    }

    @Test
    void aStoppedInstanceIsAvoidedShownUnhealthyAndWelcomedBack() throws Exception {
        awaitInstance("first", JsonNode::asBoolean);
        int port = first.port();

        first.close();
        for (int i = 0; i < 50; i++) {
            assertEquals("Hello from second", chat("m"), "request " + i + " after the stop");
        }
        long stoppedAt = System.nanoTime();
        JsonNode down = awaitInstance("first", healthy -> !healthy.asBoolean());
        long shownAfterMillis = (System.nanoTime() - stoppedAt) / 1_000_000;

        // Whichever notices first: the active check, or the failed connections of the requests above.
        assertTrue(
                Set.of("failed active health check", "ejected after failed requests")
                        .contains(down.path("unhealthy_reason").asText()),
                down.toString());
        // One interval plus the check's timeout, with room for a busy machine.
        assertTrue(
                shownAfterMillis < 4 * (CHECK_INTERVAL.toMillis() + 400),
                "shown unhealthy after " + shownAfterMillis + " ms");

        first = StubBackend.start("first", port);
        awaitInstance("first", JsonNode::asBoolean);
        // Envoy's worker threads learn of the recovery a moment after the status does.
        Conditions.await("traffic returning to the restarted instance", Duration.ofSeconds(30), () -> {
            chat("m");
            return first.requestCount() > 0;
        });
    }

    @Test
    void allInstancesOfAModelDownIsA503InOpenAiShape() throws Exception {
        pairOne.close();
        pairTwo.close();

        HttpResponse<String> response = HTTP.send(
                HttpRequest.newBuilder(URI.create(router.baseUrl() + "/chat/completions"))
                        .header("content-type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"pair\",\"messages\":[]}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());

        assertEquals(503, response.statusCode(), response.body());
        assertEquals(
                "application/json",
                response.headers().firstValue("content-type").orElseThrow());
        JsonNode error = JSON.readTree(response.body()).path("error");
        assertEquals("server_error", error.path("type").asText(), response.body());
        assertTrue(error.path("message").asText().contains("pair"), response.body());
    }

    @Test
    void theSdkListsEveryConfiguredModel() {
        Set<String> models = StreamSupport.stream(
                        client.models().list().autoPager().spliterator(), false)
                .map(Model::id)
                .collect(Collectors.toSet());

        assertEquals(Set.of("m", "pair", "bge-m3"), models);
    }

    @Test
    void serviceStatusSpeaksJaiRoutersFieldsThroughTheRouterPort() throws Exception {
        JsonNode embedding = get("/embeddings/status");

        assertEquals("embedding", embedding.path("service_type").asText());
        assertEquals("random", embedding.path("load_balance_strategy").asText());
        assertEquals("[\"bge-m3\"]", embedding.path("available_models").toString());
        assertEquals(2, embedding.path("total_instances").asInt());
        assertTrue(embedding.path("service_healthy").asBoolean());
        JsonNode retired = embedding.path("instances").get(1);
        assertEquals("inactive", retired.path("status").asText());
        assertEquals("inactive in the config", retired.path("unhealthy_reason").asText());
        JsonNode overall = get("/status");
        assertTrue(
                overall.path("services").has("chat") && overall.path("services").has("embedding"), overall.toString());
        assertEquals(1, overall.path("envoys").size(), overall.toString());
        assertEquals(
                404,
                HTTP.send(
                                HttpRequest.newBuilder(URI.create(router.baseUrl() + "/rerank/status"))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString())
                        .statusCode());
    }

    /** Polls the chat status until the named instance's "healthy" satisfies the condition. */
    private JsonNode awaitInstance(String stubName, Predicate<JsonNode> healthy) throws Exception {
        StubBackend stub = stubName.equals("first") ? first : second;
        return Conditions.awaitValue(
                "the status showing the expected health of " + stubName, Duration.ofSeconds(30), () -> {
                    for (JsonNode instance : get("/chat/status").path("instances")) {
                        if (instance.path("base_url").asText().equals(stub.baseUrl())
                                && healthy.test(instance.path("healthy"))) {
                            return Optional.of(instance);
                        }
                    }
                    return Optional.empty();
                });
    }

    private JsonNode get(String path) throws Exception {
        HttpResponse<String> response = HTTP.send(
                HttpRequest.newBuilder(URI.create(router.baseUrl() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        return JSON.readTree(response.body());
    }

    private String chat(String model) {
        return client.chat()
                .completions()
                .create(ChatCompletionCreateParams.builder()
                        .model(model)
                        .addUserMessage("hi")
                        .build())
                .choices()
                .get(0)
                .message()
                .content()
                .orElseThrow();
    }
}
