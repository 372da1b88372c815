package org.jairouter.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.audio.transcriptions.TranscriptionCreateParams;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.responses.ResponseCreateParams;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import org.jairouter.fixtures.RecordedRequest;
import org.jairouter.fixtures.StubBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Instances of one model on different paths each receive their own path, query string kept. */
class PerInstancePathTest {
    /** The header the router uses internally; a client sending it must have no effect. */
    private static final String PRIVATE_HEADER = "x-jairouter-endpoint-path";

    @Test
    void eachInstanceReceivesItsOwnPath() throws Exception {
        try (StubBackend gpustack = StubBackend.start("gpustack");
                StubBackend ollama = StubBackend.start("ollama");
                RouterHarness router = RouterHarness.start("""
                     model:
                       services:
                         chat:
                           load-balance:
                             type: round-robin
                           instances:
                             - name: "qwen3"
                               base-url: "%s"
                               path: "/v1-openai/chat/completions"
                             - name: "qwen3"
                               base-url: "%s/ollama"
                     """.formatted(gpustack.baseUrl(), ollama.baseUrl()))) {
            OpenAIClient client = router.client();
            ChatCompletionCreateParams params = ChatCompletionCreateParams.builder()
                    .model("qwen3")
                    .addUserMessage("hi")
                    .build();

            for (int i = 0; i < 4; i++) {
                client.chat().completions().create(params);
                try (StreamResponse<ChatCompletionChunk> stream =
                        client.chat().completions().createStreaming(params)) {
                    stream.stream().count();
                }
            }
            HttpResponse<String> withQuery = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create(router.baseUrl() + "/chat/completions?trace=a%20b"))
                                    .header("content-type", "application/json")
                                    .header(PRIVATE_HEADER, "/evil")
                                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"qwen3\",\"messages\":[]}"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());

            assertEquals(200, withQuery.statusCode(), withQuery.body());
            assertEquals(Set.of("/v1-openai/chat/completions"), paths(gpustack, false));
            assertEquals(Set.of("/ollama/v1/chat/completions"), paths(ollama, false));
            String servedBy = withQuery.headers().firstValue("x-served-by").orElseThrow();
            StubBackend queried = servedBy.equals("gpustack") ? gpustack : ollama;
            String expected = (queried == gpustack ? "/v1-openai/chat/completions" : "/ollama/v1/chat/completions")
                    + "?trace=a%20b";
            assertEquals(Set.of(expected), paths(queried, true));
            assertEquals(
                    Set.of(),
                    queried.requests().stream()
                            .map(r -> r.headers().get(PRIVATE_HEADER))
                            .filter(h -> h != null)
                            .collect(Collectors.toSet()),
                    "the private header never reaches a backend");
        }
    }

    /**
     * The same on a multipart route (an upload to speech-to-text): its route switches the downstream
     * multipart reader off by filter name, which once switched off the upstream path rewrite too.
     */
    @Test
    void eachInstanceReceivesItsOwnPathForAnUpload(@TempDir Path dir) throws Exception {
        try (StubBackend gpustack = StubBackend.start("gpustack");
                StubBackend ollama = StubBackend.start("ollama");
                RouterHarness router = RouterHarness.start("""
                     model:
                       services:
                         stt:
                           load-balance:
                             type: round-robin
                           instances:
                             - name: "whisper"
                               base-url: "%s"
                               path: "/v1-openai/audio/transcriptions"
                             - name: "whisper"
                               base-url: "%s/ollama"
                     """.formatted(gpustack.baseUrl(), ollama.baseUrl()))) {
            Path audio = Files.write(dir.resolve("speech.wav"), new byte[5_000]);
            for (int i = 0; i < 4; i++) {
                String text = router.client()
                        .audio()
                        .transcriptions()
                        // A file's params send it once: one per upload.
                        .create(TranscriptionCreateParams.builder()
                                .model("whisper")
                                .file(audio)
                                .build())
                        .asTranscription()
                        .text();
                assertTrue(text.contains("heard 5000 bytes from speech.wav"), text);
            }

            assertEquals(Set.of("/v1-openai/audio/transcriptions"), paths(gpustack, false));
            assertEquals(Set.of("/ollama/v1/audio/transcriptions"), paths(ollama, false));
        }
    }

    /**
     * The other APIs of a model whose instances are on different paths: each instance receives its own path of
     * each API (its 'paths', else its adapter's under its base-url prefix), and an API one of them does not
     * serve is not routed to the model.
     */
    @Test
    void eachInstanceReceivesItsOwnPathOfTheOtherApis() throws Exception {
        try (StubBackend vllm = StubBackend.start("vllm");
                StubBackend ollama = StubBackend.start("ollama");
                RouterHarness router = RouterHarness.start("""
                     model:
                       services:
                         chat:
                           load-balance:
                             type: round-robin
                           instances:
                             - name: "qwen3"
                               base-url: "%s"
                               adapter: vllm
                               paths:
                                 responses: /api/v2/responses
                             - name: "qwen3"
                               base-url: "%s/ollama"
                               adapter: ollama
                               paths: {completions: /v1/legacy/completions}
                     """.formatted(vllm.baseUrl(), ollama.baseUrl()))) {
            OpenAIClient client = router.client();
            // Round-robin: each API's requests alternate between the two instances.
            for (int i = 0; i < 4; i++) {
                client.completions()
                        .create(CompletionCreateParams.builder()
                                .model("qwen3")
                                .prompt("def fib(n):")
                                .build());
            }
            for (int i = 0; i < 4; i++) {
                client.responses()
                        .create(ResponseCreateParams.builder()
                                .model("qwen3")
                                .input("hi")
                                .build());
            }
            // A client naming another API in the router's private header changes nothing.
            HttpResponse<String> completion = post(
                    router.baseUrl() + "/completions",
                    "{\"model\":\"qwen3\",\"prompt\":\"x\"}",
                    "x-jairouter-api",
                    "responses");
            HttpResponse<String> tokenize = post(
                    router.baseUrl().replace("/v1", "") + "/tokenize",
                    "{\"model\":\"qwen3\",\"prompt\":\"x\"}",
                    "x-request-id",
                    "tokenize-1");

            assertEquals(200, completion.statusCode(), completion.body());
            assertEquals(Set.of("/v1/completions", "/api/v2/responses"), paths(vllm, false));
            assertEquals(Set.of("/ollama/v1/legacy/completions", "/ollama/v1/responses"), paths(ollama, false));
            assertEquals(404, tokenize.statusCode(), tokenize.body());
            assertTrue(tokenize.body().contains("\"code\":\"model_not_found\""), tokenize.body());
            assertTrue(tokenize.body().contains("'qwen3'") && tokenize.body().contains("/tokenize"), tokenize.body());
        }
    }

    private static HttpResponse<String> post(String url, String json, String header, String value) throws Exception {
        return HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(url))
                                .header("content-type", "application/json")
                                .header(header, value)
                                .POST(HttpRequest.BodyPublishers.ofString(json))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
    }

    /** Paths the stub received, with or without a query string. */
    private static Set<String> paths(StubBackend stub, boolean withQuery) {
        return stub.requests().stream()
                .map(RecordedRequest::path)
                .filter(p -> p.contains("?") == withQuery)
                .collect(Collectors.toSet());
    }
}
