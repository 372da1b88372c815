package org.jairouter.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.core.http.HttpResponse;
import com.openai.core.http.StreamResponse;
import com.openai.models.audio.speech.SpeechCreateParams;
import com.openai.models.audio.transcriptions.TranscriptionCreateParams;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.images.ImageEditParams;
import com.openai.models.images.ImageGenerateParams;
import com.openai.models.images.ImagesResponse;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.jairouter.fixtures.RecordedRequest;
import org.jairouter.fixtures.StubBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every one of the seven endpoints answers through a real Envoy, called with the official OpenAI SDK. */
class AllServicesThroughEnvoyTest {
    private static final List<StubBackend> STUBS = new java.util.ArrayList<>();
    private static StubBackend chat;
    private static StubBackend gpustackChat;
    private static StubBackend embedding;
    private static StubBackend rerank;
    private static StubBackend tts;
    private static StubBackend stt;
    private static StubBackend imageGen;
    private static StubBackend imageEdit;
    private static RouterHarness router;
    private static OpenAIClient client;

    @BeforeAll
    static void start() throws Exception {
        chat = stub("chat-1");
        gpustackChat = stub("gpustack-1");
        embedding = stub("embed-1");
        rerank = stub("rerank-1");
        tts = stub("tts-1");
        stt = stub("stt-1");
        imageGen = stub("imggen-1");
        imageEdit = stub("imgedit-1");
        router = RouterHarness.start("""
                model:
                  services:
                    chat:
                      instances:
                        - name: "qwen3:1.7B"
                          base-url: "%s"
                          path: "/v1-openai/chat/completions"
                        - name: "llama3"
                          base-url: "%s/ollama"
                    embedding:
                      instances:
                        - name: "bge-m3"
                          base-url: "%s"
                    rerank:
                      instances:
                        - name: "bge-reranker"
                          base-url: "%s"
                    tts:
                      instances:
                        - name: "kokoro"
                          base-url: "%s"
                    stt:
                      instances:
                        - name: "whisper-large"
                          base-url: "%s"
                    imgGen:
                      instances:
                        - name: "sdxl"
                          base-url: "%s"
                    imgEdit:
                      instances:
                        - name: "sdxl-edit"
                          base-url: "%s"
                """.formatted(
                        gpustackChat.baseUrl(),
                        chat.baseUrl(),
                        embedding.baseUrl(),
                        rerank.baseUrl(),
                        tts.baseUrl(),
                        stt.baseUrl(),
                        imageGen.baseUrl(),
                        imageEdit.baseUrl()));
        client = router.client();
    }

    private static StubBackend stub(String name) {
        StubBackend stub = StubBackend.start(name);
        STUBS.add(stub);
        return stub;
    }

    @BeforeEach
    void forgetEarlierRequests() {
        STUBS.forEach(StubBackend::clearRequests);
    }

    @AfterAll
    static void stop() throws Exception {
        if (router != null) {
            router.close();
        }
        STUBS.forEach(StubBackend::close);
    }

    @Test
    void chatCompletionReachesTheInstanceOfItsModelOnThatInstancesPath() {
        ChatCompletion completion = client.chat().completions().create(chatParams("qwen3:1.7B"));

        assertEquals(
                "Hello from gpustack-1",
                completion.choices().get(0).message().content().orElseThrow());
        RecordedRequest received = only(gpustackChat);
        assertEquals("/v1-openai/chat/completions", received.path());
        assertEquals("qwen3:1.7B", received.model());
        // Host is the backend's own authority, as if the client had called it directly.
        assertEquals("127.0.0.1:" + gpustackChat.port(), received.headers().get("host"));
    }

    @Test
    void baseUrlPathPrefixIsKeptInFrontOfTheServicePath() {
        client.chat().completions().create(chatParams("llama3"));

        assertEquals("/ollama/v1/chat/completions", only(chat).path());
    }

    @Test
    void chatStreamArrivesAsChunks() {
        try (StreamResponse<ChatCompletionChunk> stream =
                client.chat().completions().createStreaming(chatParams("llama3"))) {
            String text = stream.stream()
                    .flatMap(chunk -> chunk.choices().stream())
                    .map(choice -> choice.delta().content().orElse(""))
                    .collect(Collectors.joining());
            assertEquals("Hello from chat-1", text.trim());
        }
    }

    @Test
    void embeddings() {
        var response = client.embeddings()
                .create(EmbeddingCreateParams.builder()
                        .model("bge-m3")
                        .input("hello")
                        .build());

        assertEquals(1, response.data().size());
        assertTrue(response.data().get(0).embedding().size() > 0);
        assertEquals("bge-m3", only(embedding).model());
    }

    @Test
    void rerank() throws Exception {
        // Rerank is not part of OpenAI's API, so no SDK has it: plain HTTP, as users send it.
        var response = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(router.baseUrl() + "/rerank"))
                                .header("content-type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString("""
                                {"model":"bge-reranker","query":"capital of France","documents":["Paris","Berlin"]}"""))
                                .build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());

        assertEquals(200, response.statusCode());
        assertTrue(response.body().contains("\"relevance_score\""), response.body());
        assertEquals("rerank-1", response.headers().firstValue("x-served-by").orElseThrow());
    }

    @Test
    void speechStreamsAudio() throws Exception {
        try (HttpResponse speech = client.audio()
                        .speech()
                        .create(SpeechCreateParams.builder()
                                .model("kokoro")
                                .input("Hello there")
                                .voice("alloy")
                                .build());
                InputStream audio = speech.body()) {
            assertEquals(200, speech.statusCode());
            assertTrue(audio.readAllBytes().length >= 8 * 4096);
        }
        assertEquals("kokoro", only(tts).model());
    }

    @Test
    void transcriptionRoutesOnTheMultipartModelField(@TempDir Path dir) throws Exception {
        Path audio = Files.write(dir.resolve("speech.wav"), new byte[20_000]);
        var transcription = client.audio()
                .transcriptions()
                .create(TranscriptionCreateParams.builder()
                        .model("whisper-large")
                        .file(audio)
                        .build());

        assertTrue(
                transcription.asTranscription().text().contains("stt-1 heard 20000 bytes from speech.wav"),
                transcription.asTranscription().text());
        assertEquals("whisper-large", only(stt).model());
    }

    @Test
    void imageGeneration() {
        ImagesResponse images = client.images()
                .generate(ImageGenerateParams.builder()
                        .model("sdxl")
                        .prompt("a cat")
                        .build());

        assertEquals(1, images.data().orElseThrow().size());
        assertEquals("sdxl", only(imageGen).model());
    }

    @Test
    void imageEditRoutesOnTheMultipartModelField(@TempDir Path dir) throws Exception {
        Path image = Files.write(dir.resolve("cat.png"), new byte[4096]);
        ImagesResponse images = client.images()
                .edit(ImageEditParams.builder()
                        .model("sdxl-edit")
                        .prompt("add a hat")
                        .image(image)
                        .build());

        assertEquals(1, images.data().orElseThrow().size());
        assertEquals("sdxl-edit", only(imageEdit).model());
    }

    private static ChatCompletionCreateParams chatParams(String model) {
        return ChatCompletionCreateParams.builder()
                .model(model)
                .addUserMessage("Say hello")
                .build();
    }

    /** The one request a stub received in this test. */
    private static RecordedRequest only(StubBackend stub) {
        List<RecordedRequest> requests = stub.requests();
        assertEquals(1, requests.size(), () -> stub.name() + " received " + requests);
        return requests.get(0);
    }
}
