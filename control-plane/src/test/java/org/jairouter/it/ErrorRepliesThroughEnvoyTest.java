package org.jairouter.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.errors.NotFoundException;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.jairouter.fixtures.Closing;
import org.jairouter.fixtures.StubBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every error a client meets is OpenAI's error JSON with the right status, never Envoy's plain text. */
class ErrorRepliesThroughEnvoyTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static StubBackend backend;
    private static RouterHarness router;

    @BeforeAll
    static void start() throws Exception {
        backend = StubBackend.start("chat-1");
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        router = RouterHarness.startWithServer("""
                server:
                  address: 127.0.0.1
                  port: 0
                  max-request-size: 64KB
                """, """
                model:
                  services:
                    chat:
                      instances:
                        - name: "qwen3"
                          base-url: "%s"
                        - name: "offline-model"
                          base-url: "http://127.0.0.1:%d"
                    stt:
                      instances:
                        - name: "whisper"
                          base-url: "%s"
                """.formatted(backend.baseUrl(), closedPort, backend.baseUrl()));
    }

    @AfterAll
    static void stop() throws Exception {
        Closing.all(router, backend);
    }

    @Test
    void unknownModelIsA404ModelNotFoundForTheSdk() {
        NotFoundException error = assertThrows(
                NotFoundException.class,
                () -> router.client()
                        .chat()
                        .completions()
                        .create(ChatCompletionCreateParams.builder()
                                .model("gpt-9")
                                .addUserMessage("hi")
                                .build()));

        assertEquals(404, error.statusCode());
        assertTrue(error.getMessage().contains("The model 'gpt-9' does not exist"), error.getMessage());
        assertEquals(0, backend.requestCount());
    }

    @Test
    void unknownModelNamesTheModelAndCode() throws Exception {
        JsonNode error = expectError(postJson("/chat/completions", "{\"model\":\"gpt-9\",\"messages\":[]}"), 404);

        assertEquals("model_not_found", error.path("code").asText());
        assertEquals("model", error.path("param").asText());
        assertEquals("invalid_request_error", error.path("type").asText());
    }

    @Test
    void malformedJsonIsA400() throws Exception {
        JsonNode error = expectError(postJson("/chat/completions", "{\"model\": \"qwen3\", "), 400);

        assertTrue(error.path("message").asText().contains("could not parse the JSON body"));
    }

    @Test
    void missingModelIsA400NamingTheParameter() throws Exception {
        JsonNode error = expectError(postJson("/chat/completions", "{\"messages\":[]}"), 400);

        assertEquals("model", error.path("param").asText());
        assertTrue(error.path("message").asText().contains("model parameter"));
    }

    @Test
    void multipartWithoutModelIsA400() throws Exception {
        String boundary = "b0undary";
        String body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n"
                + "Content-Type: audio/wav\r\n\r\nRIFF....\r\n--" + boundary + "--\r\n";
        HttpResponse<String> response = HTTP.send(
                HttpRequest.newBuilder(URI.create(router.baseUrl() + "/audio/transcriptions"))
                        .header("content-type", "multipart/form-data; boundary=" + boundary)
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());

        assertEquals("model", expectError(response, 400).path("param").asText());
    }

    @Test
    void bodyOverTheConfiguredLimitIsA413() throws Exception {
        String big =
                "{\"model\":\"qwen3\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "x".repeat(100_000) + "\"}]}";

        JsonNode error = expectError(postJson("/chat/completions", big), 413);

        assertEquals("request_too_large", error.path("code").asText());
        assertTrue(error.path("message").asText().contains("65536 bytes"), error.toString());
    }

    @Test
    void unknownPathIsA404() throws Exception {
        JsonNode error = expectError(postJson("/no/such/endpoint", "{}"), 404);

        assertTrue(error.path("message").asText().contains("/v1/no/such/endpoint"), error.toString());
    }

    @Test
    void wrongMethodIsA405() throws Exception {
        HttpResponse<String> response = HTTP.send(
                HttpRequest.newBuilder(URI.create(router.baseUrl() + "/chat/completions"))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString());

        assertTrue(expectError(response, 405).path("message").asText().contains("use POST"));
    }

    @Test
    void unreachableInstanceIsA503ServerError() throws Exception {
        JsonNode error =
                expectError(postJson("/chat/completions", "{\"model\":\"offline-model\",\"messages\":[]}"), 503);

        assertEquals("server_error", error.path("type").asText());
    }

    private static HttpResponse<String> postJson(String path, String body) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create(router.baseUrl() + path))
                        .header("content-type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Asserts status and OpenAI's error shape; returns the inner error object. */
    private static JsonNode expectError(HttpResponse<String> response, int status) throws Exception {
        assertEquals(status, response.statusCode(), response.body());
        assertEquals(
                "application/json",
                response.headers().firstValue("content-type").orElse(""));
        JsonNode error = JSON.readTree(response.body()).path("error");
        for (String field : new String[] {"message", "type", "param", "code"}) {
            assertTrue(error.has(field), () -> "missing error." + field + " in " + response.body());
        }
        assertTrue(error.path("message").asText().length() > 5, response.body());
        return error;
    }
}
