package org.jairouter.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.jairouter.fixtures.Conditions;
import org.jairouter.fixtures.StubBackend;
import org.junit.jupiter.api.Test;

/**
 * A whole chat answer larger than the largest request the router accepts reaches the client as the
 * instance sent it, and its usage is counted: the usage reader does not hold it (held, it would
 * overflow the stream's buffer limit and the client would get a 500).
 */
class LargeChatAnswerThroughEnvoyTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** About 3 MiB of JSON, three times the largest request. */
    private static final int ANSWER_WORDS = 600_000;

    @Test
    void aChatAnswerLargerThanTheLargestRequestPassesWholeAndItsUsageIsCounted() throws Exception {
        try (StubBackend chat = StubBackend.start("chat-1");
                RouterHarness router =
                        RouterHarness.startWithServer("""
                        server:
                          address: 127.0.0.1
                          port: 0
                          max-request-size: 1MB
                        """, RouterHarness.oneChatInstance(chat.baseUrl()))) {
            chat.setChatAnswerWords(ANSWER_WORDS);

            HttpResponse<String> response = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create(router.baseUrl() + "/chat/completions"))
                                    .header("Content-Type", "application/json")
                                    .POST(
                                            HttpRequest.BodyPublishers.ofString(
                                                    "{\"model\":\"qwen3\",\"messages\":[{\"role\":\"user\",\"content\":\"say a lot\"}]}"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());

            String body = response.body();
            assertEquals(200, response.statusCode(), () -> body.substring(0, Math.min(300, body.length())));
            JsonNode answer = JSON.readTree(body);
            assertEquals(
                    "Hello from chat-1" + " word".repeat(ANSWER_WORDS),
                    answer.path("choices")
                            .path(0)
                            .path("message")
                            .path("content")
                            .asText(),
                    "the answer's text, whole");
            long input = answer.path("usage").path("prompt_tokens").asLong();
            long output = answer.path("usage").path("completion_tokens").asLong();
            assertEquals(3 + ANSWER_WORDS, output, "the stub counts the greeting's words and the answer's");
            Conditions.await(
                    "the answer's usage counted in /metrics",
                    Duration.ofSeconds(20),
                    () -> router.tokensCounted("input") == input && router.tokensCounted("output") == output);
        }
    }
}
