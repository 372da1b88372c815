package org.jairouter.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.jairouter.fixtures.Closing;
import org.jairouter.fixtures.RecordedRequest;
import org.jairouter.fixtures.StubBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * vLLM's POST /tokenize and /detokenize through a real Envoy: a chat model on vLLM is served there, at the same
 * paths on its instance; a chat model on Ollama, which has no tokenizer API, is answered 404 model_not_found by
 * the router, its server never asked. The OpenAI SDKs have no call for these paths: plain HTTP, as clients do.
 */
class TokenizerThroughEnvoyTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static StubBackend vllm;
    private static StubBackend ollama;
    private static RouterHarness router;

    @BeforeAll
    static void start() throws Exception {
        vllm = StubBackend.start("qwen-vllm");
        ollama = StubBackend.start("llama-ollama");
        router = RouterHarness.start("""
                model:
                  services:
                    chat:
                      instances:
                        - {name: qwen, base-url: "%s", adapter: vllm}
                        - {name: llama, base-url: "%s", adapter: ollama}
                """.formatted(vllm.baseUrl(), ollama.baseUrl()));
        router.awaitEnvoy(clusters -> clusters.containsKey("chat~qwen") && clusters.containsKey("chat~llama"));
    }

    @AfterAll
    static void stop() throws Exception {
        Closing.all(router, vllm, ollama);
    }

    @Test
    void aVllmModelIsTokenizedAndDetokenizedOnItsServersPaths() throws Exception {
        vllm.clearRequests();

        HttpResponse<String> tokenized = post("/tokenize", "{\"model\": \"qwen\", \"prompt\": \"Hello big world\"}");
        HttpResponse<String> detokenized = post("/detokenize", "{\"model\": \"qwen\", \"tokens\": [5, 3, 5]}");

        assertEquals(200, tokenized.statusCode(), tokenized.body());
        JsonNode tokens = JSON.readTree(tokenized.body());
        assertEquals(3, tokens.path("count").asInt());
        assertEquals("[5,3,5]", tokens.path("tokens").toString());
        assertEquals(200, detokenized.statusCode(), detokenized.body());
        assertEquals(
                "3 tokens detokenized by qwen-vllm",
                JSON.readTree(detokenized.body()).path("prompt").asText());
        assertEquals(
                List.of("/tokenize", "/detokenize"),
                vllm.requests().stream().map(RecordedRequest::path).toList());
    }

    @Test
    void aModelWhoseServerHasNoTokenizerApiIsNotFoundThere() throws Exception {
        ollama.clearRequests();

        HttpResponse<String> refused = post("/tokenize", "{\"model\": \"llama\", \"prompt\": \"Hello\"}");

        assertEquals(404, refused.statusCode(), refused.body());
        assertEquals(
                "model_not_found",
                JSON.readTree(refused.body()).path("error").path("code").asText());
        assertEquals(0, ollama.requestCount());
    }

    /** A POST to the router's port at the path, which for these APIs is at the root, not under /v1. */
    private static HttpResponse<String> post(String path, String body) throws Exception {
        URI root = URI.create(router.baseUrl()).resolve("/");
        return HTTP.send(
                HttpRequest.newBuilder(root.resolve(path))
                        .header("content-type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
