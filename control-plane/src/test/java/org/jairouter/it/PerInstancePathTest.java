package org.jairouter.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.audio.transcriptions.TranscriptionCreateParams;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
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

    /** Paths the stub received, with or without a query string. */
    private static Set<String> paths(StubBackend stub, boolean withQuery) {
        return stub.requests().stream()
                .map(RecordedRequest::path)
                .filter(p -> p.contains("?") == withQuery)
                .collect(Collectors.toSet());
    }
}
