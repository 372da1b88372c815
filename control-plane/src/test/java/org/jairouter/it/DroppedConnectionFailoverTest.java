package org.jairouter.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.errors.InternalServerException;
import com.openai.models.embeddings.EmbeddingCreateParams;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jairouter.envoy.HostStatus;
import org.jairouter.fixtures.Conditions;
import org.jairouter.fixtures.Gate;
import org.jairouter.fixtures.StubBackend;
import org.junit.jupiter.api.Test;

/**
 * An instance that takes a request and closes the connection before any response byte (a crash, an
 * out-of-memory kill) costs the client nothing while another instance of the model can answer; when
 * none can, the client is told what happened.
 */
class DroppedConnectionFailoverTest {
    private static final int REQUESTS = 40;

    @Test
    void requestsDroppedBeforeAnyResponseByteGoToAnotherInstance() throws Exception {
        try (StubBackend dropping = StubBackend.start("chat-dropping");
                StubBackend healthy = StubBackend.start("chat-healthy");
                StubBackend lonely = StubBackend.start("embedding-dropping");
                RouterHarness router =
                        RouterHarness.start("""
                        model:
                          services:
                            chat:
                              load-balance:
                                type: round-robin
                              instances:
                                - name: "qwen3"
                                  base-url: "%s"
                                - name: "qwen3"
                                  base-url: "%s"
                            embedding:
                              retry:
                                attempts: 0
                              instances:
                                - name: "bge"
                                  base-url: "%s"
                        """.formatted(dropping.baseUrl(), healthy.baseUrl(), lonely.baseUrl()))) {
            dropping.dropRequests(true);
            lonely.dropRequests(true);

            for (int i = 0; i < REQUESTS; i++) {
                String answer = router.chat("qwen3");
                assertEquals("Hello from chat-healthy", answer);
            }
            assertTrue(dropping.requestCount() > 0, "round-robin never tried the dropping instance");
            assertEquals(REQUESTS, healthy.requestCount());

            InternalServerException error = assertThrows(
                    InternalServerException.class,
                    () -> router.client()
                            .embeddings()
                            .create(EmbeddingCreateParams.builder()
                                    .model("bge")
                                    .input("hi")
                                    .build()));
            assertEquals(503, error.statusCode());
            assertTrue(error.getMessage().contains("closed the connection before answering"), error.getMessage());
        }
    }

    /**
     * Many requests at once on an instance that drops them all are retried at once on the other: Envoy's
     * default of 3 retries in flight per cluster refused the rest (503, retry overflow).
     */
    @Test
    void manyRequestsDroppedAtOnceAreAllRetried() throws Exception {
        try (StubBackend dropping = StubBackend.start("chat-dropping");
                StubBackend healthy = StubBackend.start("chat-healthy");
                RouterHarness router = RouterHarness.start(roundRobinPair(dropping, healthy))) {
            dropping.dropRequests(true);
            Gate held = healthy.holdRequests();
            // Plain HTTP/1.1, a connection per request: the SDK's HTTP client sends at most 5 at once to a host.
            HttpClient http = HttpClient.newHttpClient();
            List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
            for (int i = 0; i < REQUESTS; i++) {
                answers.add(http.sendAsync(
                        HttpRequest.newBuilder(URI.create(router.baseUrl() + "/chat/completions"))
                                .header("content-type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(
                                        "{\"model\":\"qwen3\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            // Each request is held at the healthy instance (the dropped ones retried there), or was answered.
            Conditions.await(
                    "every request at the healthy instance or answered",
                    Duration.ofSeconds(30),
                    () -> healthy.requestCount()
                                    + answers.stream()
                                            .filter(CompletableFuture::isDone)
                                            .count()
                            >= REQUESTS);
            held.open();
            for (CompletableFuture<HttpResponse<String>> answer : answers) {
                HttpResponse<String> response = answer.get(1, TimeUnit.MINUTES);
                assertEquals(200, response.statusCode(), response.body());
            }
            assertTrue(
                    dropping.requestCount() >= 5,
                    "round-robin sent the dropping instance only " + dropping.requestCount());
        }
    }

    /**
     * An instance that takes every connection and drops every request (its health probes still pass) is
     * ejected like one answering 5xx, instead of costing each request a retry for as long as it is up.
     */
    @Test
    void anInstanceDroppingEveryRequestIsEjected() throws Exception {
        try (StubBackend dropping = StubBackend.start("chat-dropping");
                StubBackend healthy = StubBackend.start("chat-healthy");
                RouterHarness router = RouterHarness.start(roundRobinPair(dropping, healthy))) {
            dropping.dropRequests(true);
            Conditions.await("the dropping instance ejected", Duration.ofSeconds(30), () -> {
                assertEquals("Hello from chat-healthy", router.chat("qwen3"));
                return ejected(router, dropping);
            });
            int droppedBeforeEjection = dropping.requestCount();
            for (int i = 0; i < REQUESTS; i++) {
                assertEquals("Hello from chat-healthy", router.chat("qwen3"));
            }
            assertEquals(droppedBeforeEjection, dropping.requestCount(), "an ejected instance still got requests");
        }
    }

    /** Model qwen3 on two instances, taken in turn. */
    private static String roundRobinPair(StubBackend first, StubBackend second) {
        return """
                model:
                  services:
                    chat:
                      load-balance:
                        type: round-robin
                      instances:
                        - name: "qwen3"
                          base-url: "%s"
                        - name: "qwen3"
                          base-url: "%s"
                """.formatted(first.baseUrl(), second.baseUrl());
    }

    private static boolean ejected(RouterHarness router, StubBackend backend) {
        try {
            return router.admin().hostStatuses().stream()
                    .filter(host -> host.hostname().endsWith(":" + backend.port()))
                    .anyMatch(HostStatus::ejected);
        } catch (Exception e) {
            throw new IllegalStateException("reading Envoy's hosts", e);
        }
    }
}
