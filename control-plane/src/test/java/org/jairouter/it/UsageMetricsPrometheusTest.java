package org.jairouter.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.NotFoundException;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.CompletionUsage;
import com.openai.models.embeddings.EmbeddingCreateParams;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jairouter.fixtures.Conditions;
import org.jairouter.fixtures.StubBackend;
import org.jairouter.ir.ResponsesLookup;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A real Prometheus scrapes the router's /metrics while the official SDK sends a known mix of JSON chats,
 * streamed chats (with usage) and embeddings: its PromQL answers give exactly the requests each instance
 * received and exactly the tokens the instances reported to the client.
 */
class UsageMetricsPrometheusTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final int JSON_CHATS = 6;
    private static final int STREAMED_CHATS = 4;
    private static final int EMBEDDINGS = 5;
    private static List<StubBackend> stubs;
    private static RouterHarness router;
    private static Process prometheus;
    private static Path prometheusDir;
    private static int prometheusPort;

    @BeforeAll
    static void start() throws Exception {
        Optional<Path> binary = Optional.ofNullable(System.getenv("PATH")).stream()
                .flatMap(path -> List.of(path.split(":")).stream())
                .map(dir -> Path.of(dir, "prometheus"))
                .filter(Files::isExecutable)
                .findFirst();
        if (binary.isEmpty()) {
            System.out.println(
                    "UsageMetricsPrometheusTest skipped: no prometheus on PATH (Debian: apt-get install prometheus)");
        }
        Assumptions.assumeTrue(binary.isPresent(), "no prometheus on PATH (Debian: apt-get install prometheus)");
        stubs = List.of(
                StubBackend.start("qwen-a"),
                StubBackend.start("qwen-b"),
                StubBackend.start("llama-a"),
                StubBackend.start("bge-a"));
        router = RouterHarness.start("""
                model:
                  services:
                    chat:
                      load-balance: { type: round-robin }
                      instances:
                        - { name: qwen, base-url: "%s" }
                        - { name: qwen, base-url: "%s" }
                        - { name: llama, base-url: "%s" }
                    embedding:
                      instances:
                        - { name: bge, base-url: "%s" }
                """.formatted(
                        stubs.get(0).baseUrl(),
                        stubs.get(1).baseUrl(),
                        stubs.get(2).baseUrl(),
                        stubs.get(3).baseUrl()));
        router.awaitEnvoy(clusters -> clusters.keySet().stream()
                        .filter(c -> !c.startsWith("jairouter") && !c.equals(ResponsesLookup.CLUSTER))
                        .count()
                == 3);
        prometheusDir = Files.createTempDirectory("jairouter-prometheus-");
        Path config = Files.writeString(prometheusDir.resolve("prometheus.yml"), """
                global: { scrape_interval: 1s }
                scrape_configs:
                  - job_name: jairouter
                    # The metrics' own "instance" label (a model instance) must win over the scrape target's.
                    honor_labels: true
                    static_configs: [{ targets: ["127.0.0.1:%d"] }]
                """.formatted(
                        router.router().statusPort()));
        prometheusPort = freePort();
        prometheus = new ProcessBuilder(
                        binary.get().toString(),
                        "--config.file=" + config,
                        "--storage.tsdb.path=" + prometheusDir.resolve("data"),
                        "--web.listen-address=127.0.0.1:" + prometheusPort)
                .redirectErrorStream(true)
                .redirectOutput(prometheusDir.resolve("prometheus.log").toFile())
                .start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (prometheus != null) {
            prometheus.destroy();
            prometheus.waitFor();
        }
        if (router != null) {
            router.close();
        }
        if (stubs != null) {
            stubs.forEach(StubBackend::close);
        }
    }

    @Test
    void prometheusCountsEveryRequestAndToken() throws Exception {
        OpenAIClient client = router.client();
        Map<String, Long> tokens = new HashMap<>();
        for (int i = 0; i < JSON_CHATS; i++) {
            CompletionUsage usage = client.chat()
                    .completions()
                    .create(chat("qwen", "question number " + i).build())
                    .usage()
                    .orElseThrow();
            add(tokens, "qwen input", usage.promptTokens());
            add(tokens, "qwen output", usage.completionTokens());
        }
        for (int i = 0; i < STREAMED_CHATS; i++) {
            try (StreamResponse<ChatCompletionChunk> stream = client.chat()
                    .completions()
                    .createStreaming(chat("llama", "tell me a story " + i)
                            .streamOptions(ChatCompletionStreamOptions.builder()
                                    .includeUsage(true)
                                    .build())
                            .build())) {
                CompletionUsage usage = stream.stream()
                        .flatMap(chunk -> chunk.usage().stream())
                        .findFirst()
                        .orElseThrow();
                add(tokens, "llama input", usage.promptTokens());
                add(tokens, "llama output", usage.completionTokens());
            }
        }
        for (int i = 0; i < EMBEDDINGS; i++) {
            long used = client.embeddings()
                    .create(EmbeddingCreateParams.builder()
                            .model("bge")
                            .input("some words to embed " + i)
                            .build())
                    .usage()
                    .promptTokens();
            add(tokens, "bge input", used);
        }
        assertThrows(
                NotFoundException.class,
                () -> client.chat().completions().create(chat("nope", "hi").build()));

        Map<String, Long> requests = new HashMap<>();
        requests.put("qwen " + stubs.get(0).baseUrl(), (long) stubs.get(0).requestCount());
        requests.put("qwen " + stubs.get(1).baseUrl(), (long) stubs.get(1).requestCount());
        requests.put("llama " + stubs.get(2).baseUrl(), (long) STREAMED_CHATS);
        requests.put("bge " + stubs.get(3).baseUrl(), (long) EMBEDDINGS);
        assertEquals(
                JSON_CHATS,
                requests.get("qwen " + stubs.get(0).baseUrl())
                        + requests.get("qwen " + stubs.get(1).baseUrl()));

        awaitQuery(
                "sum by (gen_ai_request_model, instance) (jairouter_requests_total{code_class=\"2xx\"})",
                List.of("gen_ai_request_model", "instance"),
                requests);
        awaitQuery(
                "sum by (gen_ai_request_model, gen_ai_token_type) (gen_ai_client_token_usage_sum)",
                List.of("gen_ai_request_model", "gen_ai_token_type"),
                tokens);
        Map<String, Long> firstTokens =
                Map.of("qwen", (long) JSON_CHATS, "llama", (long) STREAMED_CHATS, "bge", (long) EMBEDDINGS);
        awaitQuery(
                "sum by (gen_ai_request_model) (gen_ai_server_time_to_first_token_seconds_count)",
                List.of("gen_ai_request_model"),
                firstTokens);
        awaitQuery(
                "sum by (gen_ai_request_model) (gen_ai_server_time_per_output_token_seconds_count)",
                List.of("gen_ai_request_model"),
                Map.of("llama", (long) STREAMED_CHATS));
        assertFalse(router.metrics().contains("nope"), "an unknown model must not create a series");
    }

    private static ChatCompletionCreateParams.Builder chat(String model, String text) {
        return ChatCompletionCreateParams.builder().model(model).addUserMessage(text);
    }

    private static void add(Map<String, Long> sums, String key, long value) {
        sums.merge(key, value, Long::sum);
    }

    /** Waits until the query's result, keyed by the given labels joined by spaces, is exactly {@code expected}. */
    private static void awaitQuery(String promql, List<String> labels, Map<String, Long> expected) throws Exception {
        Map<String, Long>[] last = new Map[] {Map.of()};
        try {
            Conditions.await("Prometheus answering " + promql + " with " + expected, Duration.ofSeconds(60), () -> {
                last[0] = query(promql, labels);
                return last[0].equals(expected);
            });
        } catch (AssertionError e) {
            assertEquals(expected, last[0], promql);
        }
    }

    private static Map<String, Long> query(String promql, List<String> labels) {
        try {
            HttpResponse<String> response = HTTP.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + prometheusPort + "/api/v1/query?query="
                                    + URLEncoder.encode(promql, StandardCharsets.UTF_8)))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            Map<String, Long> result = new HashMap<>();
            for (JsonNode series : JSON.readTree(response.body()).path("data").path("result")) {
                String key = String.join(
                        " ",
                        labels.stream()
                                .map(l -> series.path("metric").path(l).asText())
                                .toList());
                result.put(key, Math.round(series.path("value").path(1).asDouble()));
            }
            return result;
        } catch (IOException e) {
            return Map.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Map.of();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
