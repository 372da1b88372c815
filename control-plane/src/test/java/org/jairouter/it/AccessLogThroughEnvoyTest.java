package org.jairouter.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openai.client.OpenAIClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.CompletionUsage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Predicate;
import org.jairouter.fixtures.Closing;
import org.jairouter.fixtures.Conditions;
import org.jairouter.fixtures.StubBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The JSON access log through a real Envoy: one parseable line per request with the usage the instance
 * reported, never a key, an Authorization value or body text; and with usage reading on, large JSON and
 * audio responses still reach the client byte for byte.
 */
class AccessLogThroughEnvoyTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String CLIENT_KEY = "sk-client-secret-7f3a9c1e5b";
    private static final String OTHER_KEY = "xk-header-secret-2d8e4b6a0c";
    private static final String BODY_TEXT = "purple-elephant-on-a-bicycle";
    private static StubBackend chat;
    private static StubBackend embedding;
    private static StubBackend tts;
    private static RouterHarness router;
    private static Path accessLog;

    @BeforeAll
    static void start() throws Exception {
        chat = StubBackend.start("chat-1");
        embedding = StubBackend.start("embed-1");
        tts = StubBackend.start("tts-1");
        accessLog = Files.createTempFile("jairouter-access-", ".log");
        router = RouterHarness.start("""
                monitoring:
                  access-log: %s
                model:
                  services:
                    chat:
                      instances:
                        - { name: qwen, base-url: "%s" }
                    embedding:
                      instances:
                        - { name: bge, base-url: "%s" }
                    tts:
                      instances:
                        - { name: kokoro, base-url: "%s" }
                """.formatted(accessLog, chat.baseUrl(), embedding.baseUrl(), tts.baseUrl()));
    }

    @AfterAll
    static void stop() throws Exception {
        Closing.all(router, chat, embedding, tts);
        Files.deleteIfExists(accessLog);
    }

    @Test
    void everyRequestIsOneJsonLineWithUsageAndNoSecretsOrBodies() throws Exception {
        OpenAIClient client = RouterHarness.clientBuilder(router.baseUrl())
                .apiKey(CLIENT_KEY)
                .putHeader("X-API-Key", OTHER_KEY)
                .build();
        CompletionUsage whole = client.chat()
                .completions()
                .create(chat(BODY_TEXT).build())
                .usage()
                .orElseThrow();
        CompletionUsage streamed;
        try (StreamResponse<ChatCompletionChunk> stream = client.chat()
                .completions()
                .createStreaming(chat(BODY_TEXT)
                        .streamOptions(ChatCompletionStreamOptions.builder()
                                .includeUsage(true)
                                .build())
                        .build())) {
            streamed = stream.stream()
                    .flatMap(chunk -> chunk.usage().stream())
                    .findFirst()
                    .orElseThrow();
        }

        List<JsonNode> records = awaitRecords(2);
        JsonNode json = records.get(0);
        assertEquals("/v1/chat/completions", json.path("path").asText());
        assertEquals("qwen", json.path("model").asText());
        assertEquals(200, json.path("status").asInt());
        assertEquals("127.0.0.1:" + chat.port(), json.path("instance").asText());
        assertEquals(whole.promptTokens(), json.path("input_tokens").asLong());
        assertEquals(whole.completionTokens(), json.path("output_tokens").asLong());
        assertEquals(1, json.path("upstream_attempts").asInt());
        assertTrue(json.path("time_to_first_byte_ms").isNumber(), json::toString);
        JsonNode stream = records.get(1);
        assertEquals("text/event-stream", stream.path("content_type").asText());
        assertEquals(streamed.promptTokens(), stream.path("input_tokens").asLong());
        assertEquals(streamed.completionTokens(), stream.path("output_tokens").asLong());

        String text = Files.readString(accessLog);
        for (String secret : List.of(CLIENT_KEY, OTHER_KEY, "Bearer", BODY_TEXT, "Hello from")) {
            assertFalse(text.contains(secret), () -> "the access log contains '" + secret + "':\n" + text);
        }
    }

    @Test
    void aFiveMibEmbeddingsResponsePassesUnchanged() throws Exception {
        ObjectNode body = JSON.createObjectNode().put("model", "bge").put("encoding_format", "float");
        ArrayNode input = body.putArray("input");
        for (int i = 0; i < 40_000; i++) {
            input.add("text " + i);
        }
        String request = body.toString();
        byte[] direct = post(embedding.baseUrl() + "/embeddings", request);
        byte[] routed = post(router.baseUrl() + "/embeddings", request);
        assertTrue(direct.length > 5 << 20, "the response is " + direct.length + " bytes");
        assertArrayEquals(direct, routed);
        long tokens = JSON.readTree(direct).path("usage").path("prompt_tokens").asLong();
        JsonNode logged = awaitRecord(r -> r.path("path").asText().equals("/v1/embeddings"));
        assertEquals(tokens, logged.path("input_tokens").asLong());
    }

    @Test
    void aSixtyFourMibSpeechStreamPassesUnchanged() throws Exception {
        String words = String.join(" ", Collections.nCopies(16_384, "word"));
        String request = JSON.createObjectNode()
                .put("model", "kokoro")
                .put("input", words)
                .put("voice", "af")
                .toString();
        byte[] direct = post(tts.baseUrl() + "/audio/speech", request);
        byte[] routed = post(router.baseUrl() + "/audio/speech", request);
        assertEquals(64 << 20, direct.length);
        assertArrayEquals(direct, routed);
    }

    private static ChatCompletionCreateParams.Builder chat(String text) {
        return ChatCompletionCreateParams.builder().model("qwen").addUserMessage(text);
    }

    private static byte[] post(String url, String json) throws Exception {
        HttpResponse<byte[]> response = HTTP.send(
                HttpRequest.newBuilder(URI.create(url))
                        .header("content-type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(json))
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, response.statusCode(), () -> url + ": " + new String(response.body()));
        return response.body();
    }

    /** The chat records, in order, once Envoy has written at least {@code count}. */
    @Test
    void aKeyInTheQueryStringIsNeverLogged() throws Exception {
        List<String> secrets = List.of("sk-query-api-key-91c4", "sk-query-key-5e27", "sk-query-token-0b83");
        String query = "?api_key=" + secrets.get(0) + "&key=" + secrets.get(1) + "&token=" + secrets.get(2);
        int before = records().size();
        HttpResponse<String> chatted = HTTP.send(
                HttpRequest.newBuilder(URI.create(router.baseUrl() + "/chat/completions" + query))
                        .header("content-type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(
                                "{\"model\":\"qwen\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, chatted.statusCode(), chatted.body());
        HTTP.send(
                HttpRequest.newBuilder(URI.create(router.baseUrl() + "/models" + query))
                        .build(),
                HttpResponse.BodyHandlers.ofString());

        Conditions.await(
                "both records in the access log",
                Duration.ofSeconds(30),
                () -> records().size() >= before + 2
                        && records().stream()
                                .anyMatch(r -> r.path("method").asText().equals("GET")
                                        && r.path("path").asText().startsWith("/v1/models")));
        String log = Files.readString(accessLog);
        for (String secret : secrets) {
            assertFalse(log.contains(secret), "a query-string key in the access log:\n" + log);
        }
        assertTrue(log.contains("\"path\":\"/v1/models\""), log);
    }

    private static List<JsonNode> awaitRecords(int count) throws Exception {
        List<JsonNode> chats = new ArrayList<>();
        Conditions.await(count + " chat records in the access log", Duration.ofSeconds(30), () -> {
            chats.clear();
            records().stream()
                    .filter(r -> r.path("path").asText().equals("/v1/chat/completions"))
                    .forEach(chats::add);
            return chats.size() >= count;
        });
        return chats;
    }

    private static JsonNode awaitRecord(Predicate<JsonNode> which) throws Exception {
        JsonNode[] found = new JsonNode[1];
        Conditions.await("the record in the access log", Duration.ofSeconds(30), () -> {
            records().stream().filter(which).findFirst().ifPresent(r -> found[0] = r);
            return found[0] != null;
        });
        return found[0];
    }

    /** Every complete line must parse as one JSON object (Envoy may be writing the last one). */
    private static List<JsonNode> records() {
        try {
            List<JsonNode> records = new ArrayList<>();
            String text = Files.readString(accessLog);
            for (String line :
                    text.substring(0, text.lastIndexOf('\n') + 1).lines().toList()) {
                JsonNode record = JSON.readTree(line);
                assertTrue(record.isObject(), line);
                records.add(record);
            }
            return records;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
