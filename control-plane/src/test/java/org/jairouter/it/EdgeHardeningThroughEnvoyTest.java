package org.jairouter.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.jairouter.fixtures.Closing;
import org.jairouter.fixtures.RecordedRequest;
import org.jairouter.fixtures.StubBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Nothing a client sends steers Envoy, and nothing in a reply tells the client what runs the router. */
class EdgeHardeningThroughEnvoyTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CHAT = "{\"model\":\"qwen3\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private static StubBackend first;
    private static StubBackend second;
    private static RouterHarness router;

    @BeforeAll
    static void start() throws Exception {
        first = StubBackend.start("chat-1");
        second = StubBackend.start("chat-2");
        router = RouterHarness.start("""
                model:
                  services:
                    chat:
                      instances:
                        - name: "qwen3"
                          base-url: "%s"
                        - name: "qwen3"
                          base-url: "%s"
                """.formatted(first.baseUrl(), second.baseUrl()));
    }

    @AfterAll
    static void stop() throws Exception {
        Closing.all(router, first, second);
    }

    @BeforeEach
    void reset() {
        first.failWith(0);
        second.failWith(0);
        first.clearRequests();
        second.clearRequests();
    }

    @Test
    void clientRetryAndTimeoutHeadersAreIgnoredAndNeverForwarded() throws Exception {
        first.failWith(500);
        second.failWith(500);

        Map<String, String> steering = Map.of(
                "x-envoy-retry-on", "5xx",
                "x-envoy-max-retries", "3",
                "x-envoy-upstream-rq-timeout-ms", "60000",
                "x-envoy-upstream-rq-per-try-timeout-ms", "60000");
        HttpRequest.Builder request = chat();
        steering.forEach(request::header);

        HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());

        assertEquals(500, response.statusCode());
        List<RecordedRequest> seen = received();
        assertEquals(1, seen.size(), "a 5xx is not retried unless the config says so: " + seen);
        assertTrue(
                steering.keySet().stream().noneMatch(seen.get(0).headers()::containsKey),
                "the client's x-envoy-* headers reached the instance: "
                        + seen.get(0).headers());
    }

    @Test
    void headersWithUnderscoresNeverReachAnInstance() throws Exception {
        HttpResponse<String> response =
                HTTP.send(chat().header("x_api_key", "smuggled").build(), HttpResponse.BodyHandlers.ofString());

        assertEquals(200, response.statusCode());
        assertFalse(
                received().get(0).headers().containsKey("x_api_key"),
                received().get(0).headers().toString());
    }

    @Test
    void repliesNameNoServerAndCarryNoEnvoyHeaders() throws Exception {
        HttpResponse<String> proxied = HTTP.send(chat().build(), HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> local = HTTP.send(
                HttpRequest.newBuilder(URI.create(router.baseUrl() + "/chat/completions"))
                        .header("content-type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"gpt-9\",\"messages\":[]}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());

        assertEquals(200, proxied.statusCode());
        assertEquals(404, local.statusCode());
        for (HttpHeaders headers : List.of(proxied.headers(), local.headers())) {
            Map<String, List<String>> all = headers.map();
            assertFalse(all.containsKey("server"), "server header: " + all);
            assertTrue(all.keySet().stream().noneMatch(name -> name.startsWith("x-envoy-")), all.toString());
        }
    }

    @Test
    void http10ClientsAreServed() throws Exception {
        URI uri = URI.create(router.baseUrl());
        try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
            socket.getOutputStream().write("GET /v1/models HTTP/1.0\r\n\r\n".getBytes(UTF_8));
            String statusLine = new BufferedReader(new InputStreamReader(socket.getInputStream(), UTF_8)).readLine();

            assertTrue(statusLine.matches("HTTP/1\\.[01] 200 .*"), statusLine);
        }
    }

    @Test
    void headWorksWhereGetDoes() throws Exception {
        HttpResponse<Void> head = HTTP.send(
                HttpRequest.newBuilder(URI.create(router.baseUrl() + "/models"))
                        .method("HEAD", HttpRequest.BodyPublishers.noBody())
                        .build(),
                HttpResponse.BodyHandlers.discarding());

        assertEquals(200, head.statusCode());
    }

    @Test
    void aPathEnvoyCannotReadGetsAnOpenAiErrorThatSaysWhy() throws Exception {
        HttpResponse<String> response = HTTP.send(
                HttpRequest.newBuilder(URI.create(router.baseUrl() + "/chat/completions%00"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());

        assertEquals(400, response.statusCode());
        String message =
                JSON.readTree(response.body()).path("error").path("message").asText();
        assertTrue(message.contains("could not be read (path_normalization_failed)"), response.body());
    }

    @Test
    void longModelNamesAreNeverEchoedAndHugeOnesAreExplained() throws Exception {
        HttpResponse<String> long_ = postChat("m".repeat(4000));
        HttpResponse<String> huge = postChat("m".repeat(100_000));

        assertEquals(404, long_.statusCode());
        String message =
                JSON.readTree(long_.body()).path("error").path("message").asText();
        assertTrue(message.length() < 400, "echoed " + message.length() + " characters");
        assertEquals(400, huge.statusCode());
        assertTrue(
                JSON.readTree(huge.body())
                        .path("error")
                        .path("message")
                        .asText()
                        .contains("a model name of at most 256 characters"),
                huge.body());
    }

    private static HttpResponse<String> postChat(String model) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create(router.baseUrl() + "/chat/completions"))
                        .header("content-type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + model + "\",\"messages\":[]}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpRequest.Builder chat() {
        return HttpRequest.newBuilder(URI.create(router.baseUrl() + "/chat/completions"))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(CHAT));
    }

    private static List<RecordedRequest> received() {
        return java.util.stream.Stream.concat(first.requests().stream(), second.requests().stream())
                .toList();
    }
}
