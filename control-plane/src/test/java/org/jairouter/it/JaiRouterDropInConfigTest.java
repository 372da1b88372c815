package org.jairouter.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.embeddings.EmbeddingCreateParams;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.jairouter.config.ConfigLoader;
import org.jairouter.config.ConfigProblem;
import org.jairouter.fixtures.RecordedRequest;
import org.jairouter.fixtures.StubBackend;
import org.junit.jupiter.api.Test;

/** A JAiRouter user's application.yml loads unchanged and routes as it says. */
class JaiRouterDropInConfigTest {
    private static final Path FIXTURE = Path.of("../test-fixtures/configs/jairouter-drop-in.yml");

    @Test
    void unimplementedJaiRouterFeaturesAreNamedOnceEach() throws Exception {
        List<String> warned = ConfigLoader.load(FIXTURE).warnings().stream()
                .map(ConfigProblem::key)
                .toList();

        // rate-limit and circuit-breaker are honoured (docs/drop-in.md), and so is fallback's default
        // strategy: a 503 when a service cannot answer, as JAiRouter's.
        assertEquals(
                List.of(
                        "spring",
                        "store",
                        "model.services.chat.instances[0].instance-id",
                        "model.services.chat.instances[1].instance-id"),
                warned);
    }

    @Test
    void itRoutesEachModelToItsInstancesWithTheirAdaptersPathsAndHeaders() throws Exception {
        try (StubBackend gpu = StubBackend.start("gpu-node-1");
                StubBackend ollama = StubBackend.start("ollama-node");
                StubBackend vllm = StubBackend.start("vllm-node")) {
            String config = Files.readString(FIXTURE)
                    .replace("port: 8080", "port: 0\n  address: 127.0.0.1")
                    .replace("http://gpu-node-1:9090", gpu.baseUrl())
                    .replace("http://ollama-node:11434", ollama.baseUrl())
                    .replace("http://vllm-node:8000", vllm.baseUrl());
            try (RouterHarness router = RouterHarness.startWithServer("", config)) {
                OpenAIClient client = router.client();
                for (int i = 0; i < 6; i++) {
                    client.chat()
                            .completions()
                            .create(ChatCompletionCreateParams.builder()
                                    .model("qwen3:4b")
                                    .addUserMessage("hi")
                                    .build());
                }
                client.embeddings()
                        .create(EmbeddingCreateParams.builder()
                                .model("bge-m3")
                                .input("hi")
                                .build());
                var rerank = java.net.http.HttpClient.newHttpClient()
                        .send(
                                java.net.http.HttpRequest.newBuilder(java.net.URI.create(router.baseUrl() + "/rerank"))
                                        .header("content-type", "application/json")
                                        .POST(
                                                java.net.http.HttpRequest.BodyPublishers.ofString(
                                                        "{\"model\":\"bge-reranker-v2-m3\",\"query\":\"q\",\"documents\":[\"a\"]}"))
                                        .build(),
                                java.net.http.HttpResponse.BodyHandlers.ofString());

                assertEquals(200, rerank.statusCode(), rerank.body());
                assertEquals(Set.of("/v1-openai/chat/completions", "/v1/embeddings"), paths(gpu));
                assertEquals(Set.of("/v1/chat/completions"), paths(ollama));
                assertEquals(Set.of("/v1/rerank"), paths(vllm));
                assertTrue(gpu.requests().stream()
                        .filter(r -> r.path().contains("chat"))
                        .allMatch(r -> r.headers().get("authorization").startsWith("Bearer")));
            }
        }
    }

    private static Set<String> paths(StubBackend stub) {
        return stub.requests().stream().map(RecordedRequest::path).collect(Collectors.toSet());
    }
}
