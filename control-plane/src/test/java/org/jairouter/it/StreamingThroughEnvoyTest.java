package org.jairouter.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.core.http.HttpResponse;
import com.openai.core.http.StreamResponse;
import com.openai.models.audio.speech.SpeechCreateParams;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import java.io.InputStream;
import java.time.Duration;
import java.util.Iterator;
import org.jairouter.fixtures.Closing;
import org.jairouter.fixtures.Gate;
import org.jairouter.fixtures.StubBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Streams pass through Envoy unbuffered: the client holds the first chunk while the backend is still
 * holding back the rest, and a generation longer than Envoy's default 15 s route timeout completes.
 */
class StreamingThroughEnvoyTest {
    /** If Envoy buffered, the first chunk would never come while the backend waits: fail, don't hang. */
    private static final Duration NO_HANG = Duration.ofSeconds(60);

    private static StubBackend chat;
    private static StubBackend tts;
    private static RouterHarness router;
    private static OpenAIClient client;

    @BeforeAll
    static void start() throws Exception {
        chat = StubBackend.start("chat-stream");
        tts = StubBackend.start("tts-stream");
        router = RouterHarness.start("""
                model:
                  services:
                    chat:
                      instances:
                        - name: "qwen3"
                          base-url: "%s"
                    tts:
                      instances:
                        - name: "kokoro"
                          base-url: "%s"
                """.formatted(chat.baseUrl(), tts.baseUrl()));
        client = router.client();
    }

    @AfterAll
    static void stop() throws Exception {
        Closing.all(router, chat, tts);
    }

    @Test
    void firstSseChunkReachesTheClientBeforeTheBackendSendsItsLast() {
        Gate rest = chat.pauseStreamsAfterFirstChunk();
        assertTimeoutPreemptively(NO_HANG, () -> {
            try (StreamResponse<ChatCompletionChunk> stream =
                    client.chat().completions().createStreaming(chatParams())) {
                Iterator<ChatCompletionChunk> chunks = stream.stream().iterator();

                ChatCompletionChunk first = chunks.next();

                assertFalse(rest.isOpen(), "the backend must still be holding its remaining chunks");
                assertEquals(
                        "assistant",
                        first.choices().get(0).delta().role().orElseThrow().asString());
                rest.open();
                int remaining = 0;
                while (chunks.hasNext()) {
                    chunks.next();
                    remaining++;
                }
                assertTrue(remaining >= 4, "expected the rest of the stream, got " + remaining + " chunks");
            }
        });
    }

    @Test
    void firstAudioBytesReachTheClientBeforeTheBackendSendsItsLast() {
        Gate rest = tts.pauseStreamsAfterFirstChunk();
        assertTimeoutPreemptively(NO_HANG, () -> {
            try (HttpResponse speech = client.audio()
                            .speech()
                            .create(SpeechCreateParams.builder()
                                    .model("kokoro")
                                    .input("A long story")
                                    .voice("alloy")
                                    .build());
                    InputStream audio = speech.body()) {
                // One read, not readNBytes: okio blocks on a zero-length read until more data comes.
                int firstRead = audio.read(new byte[64 * 1024]);

                assertFalse(rest.isOpen(), "the backend must still be holding its remaining audio");
                assertTrue(firstRead > 0 && firstRead <= 4096, "read " + firstRead + " bytes of the first 4 KiB chunk");
                rest.open();
                assertTrue(audio.readAllBytes().length >= 7 * 4096);
            }
        });
    }

    @Test
    void aGenerationLongerThanEnvoysDefaultRouteTimeoutCompletes() {
        // Envoy's default route timeout is 15 s; this stream stays open past it.
        Duration longerThanDefault = Duration.ofSeconds(16);
        Gate rest = chat.pauseStreamsAfterFirstChunk();
        assertTimeoutPreemptively(NO_HANG, () -> {
            try (StreamResponse<ChatCompletionChunk> stream =
                    client.chat().completions().createStreaming(chatParams())) {
                long started = System.nanoTime();
                Iterator<ChatCompletionChunk> chunks = stream.stream().iterator();
                chunks.next();
                assertTrue(rest.awaitWaiter(NO_HANG));
                Thread.sleep(Math.max(0, longerThanDefault.toMillis() - (System.nanoTime() - started) / 1_000_000));
                rest.open();
                ChatCompletionChunk last = null;
                while (chunks.hasNext()) {
                    last = chunks.next();
                }
                assertEquals(
                        "stop",
                        last.choices().get(0).finishReason().orElseThrow().asString());
            }
        });
        assertNull(
                chat.requests().get(chat.requests().size() - 1).headers().get("x-envoy-expected-rq-timeout-ms"),
                "Envoy must not tell the backend of a request deadline");
    }

    private static ChatCompletionCreateParams chatParams() {
        return ChatCompletionCreateParams.builder()
                .model("qwen3")
                .addUserMessage("Tell me a story")
                .build();
    }
}
