package org.jairouter.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.errors.NotFoundException;
import com.openai.errors.OpenAIServiceException;
import com.openai.models.models.Model;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.StreamSupport;
import org.jairouter.fixtures.Closing;
import org.jairouter.fixtures.Conditions;
import org.jairouter.fixtures.Gate;
import org.jairouter.fixtures.ModelServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code models: auto} through a real Envoy: every model a server lists is routed, a model loaded into it is
 * routed within a few seconds (and counted in the metrics) and one unloaded is no longer, and a server gone
 * silent keeps its last list.
 */
class ModelDiscoveryThroughEnvoyTest {
    private static final Duration DISCOVERY = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static ModelServer ollama;
    private static RouterHarness router;

    @BeforeAll
    static void start() throws Exception {
        ollama = ModelServer.start("ollama", "llama3.2", "qwen3:1.7b");
        router = RouterHarness.start("""
                model:
                  services:
                    chat:
                      instances:
                        - models: auto
                          base-url: "%s"
                          adapter: ollama
                """.formatted(ollama.baseUrl()));
    }

    @AfterAll
    static void stop() throws Exception {
        Closing.all(router, ollama);
    }

    @Test
    void everyModelTheServerListsIsRoutedAndListed() throws Exception {
        awaitServed("llama3.2");

        assertEquals("Hello from ollama", router.chat("qwen3:1.7b"));
        assertTrue(listed().containsAll(List.of("llama3.2", "qwen3:1.7b")), listed().toString());
    }

    @Test
    void aModelLoadedIsRoutedAndOneUnloadedIsNoLonger() throws Exception {
        awaitServed("llama3.2");

        ollama.load("phi4");
        awaitServed("phi4");
        assertTrue(listed().contains("phi4"), listed().toString());
        Conditions.await(
                "phi4's request counted in the metrics",
                DISCOVERY,
                () -> metrics()
                        .lines()
                        .anyMatch(line ->
                                line.startsWith("jairouter_requests_total") && line.contains("model=\"phi4\"")));

        ollama.unload("phi4");
        Conditions.await("phi4 answered 404 model_not_found by the router", DISCOVERY, () -> {
            try {
                router.chat("phi4");
                return false;
            } catch (NotFoundException e) {
                return e.code().equals(Optional.of("model_not_found"));
            }
        });
        assertTrue(!listed().contains("phi4"), listed().toString());
    }

    @Test
    void aSilentServerKeepsItsLastList() throws Exception {
        awaitServed("llama3.2");
        Gate silence = ollama.silence();
        try {
            Conditions.await(
                    "the router seeing the server silent",
                    DISCOVERY,
                    () -> problem().isPresent());

            assertTrue(listed().containsAll(List.of("llama3.2", "qwen3:1.7b")), listed().toString());
            assertTrue(problem().orElseThrow().contains("Timeout"), problem().toString());
        } finally {
            silence.open();
        }
        Conditions.await(
                "the router seeing the server answer again",
                DISCOVERY,
                () -> problem().isEmpty());
        assertEquals("Hello from ollama", router.chat("llama3.2"));
    }

    /** Waits until the model is routed: before its server's list is read, the router answers 404 for it. */
    private static void awaitServed(String model) throws InterruptedException {
        Conditions.await(model + " routed", DISCOVERY, () -> {
            try {
                return router.chat(model).equals("Hello from ollama");
            } catch (OpenAIServiceException notYet) {
                return false;
            }
        });
    }

    /** The models the router lists, through Envoy, to the official SDK. */
    private static List<String> listed() {
        return StreamSupport.stream(router.client().models().list().autoPager().spliterator(), false)
                .map(Model::id)
                .toList();
    }

    private static String metrics() {
        try {
            return router.metrics();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Why the router's latest request for the server's list failed, as the status shows it; empty if it answered. */
    private static Optional<String> problem() {
        try {
            HttpResponse<String> status = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                                            + router.router().statusPort() + "/v1/status"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            JsonNode auto = JSON.readTree(status.body()).path("models_auto").path(0);
            return auto.path("problem").isTextual()
                    ? Optional.of(auto.path("problem").asText())
                    : Optional.empty();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
