package org.jairouter.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.InternalServerException;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.images.ImageGenerateParams;
import java.time.Duration;
import java.util.Iterator;
import org.jairouter.fixtures.Closing;
import org.jairouter.fixtures.Gate;
import org.jairouter.fixtures.StubBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An instance that takes a request and never answers costs the client the service's response-timeout
 * (1 s here), not the 300 s after which Envoy ends a silent request: the request goes to another
 * instance where that is safe, or the client gets OpenAI's error JSON with 504. A stream that started
 * in time runs on past it.
 */
class ResponseTimeoutThroughEnvoyTest {
    /** Far below the 300 s silence limit that held the client before, far above the 1 s configured. */
    private static final Duration WELL_BEFORE_IDLE_TIMEOUT = Duration.ofSeconds(60);

    private static StubBackend hung;
    private static StubBackend hungBeside;
    private static StubBackend healthy;
    private static StubBackend streaming;
    private static StubBackend hungImages;
    private static StubBackend healthyImages;
    private static RouterHarness router;
    private static OpenAIClient client;

    @BeforeAll
    static void start() throws Exception {
        hung = StubBackend.start("chat-hung");
        hungBeside = StubBackend.start("chat-hung-beside");
        healthy = StubBackend.start("chat-healthy");
        streaming = StubBackend.start("chat-streaming");
        hungImages = StubBackend.start("img-hung");
        healthyImages = StubBackend.start("img-healthy");
        router = RouterHarness.start("""
                model:
                  response-timeout: 1s
                  services:
                    chat:
                      load-balance: {type: round-robin}
                      instances:
                        - {name: "alone", base-url: "%s"}
                        - {name: "pair", base-url: "%s"}
                        - {name: "pair", base-url: "%s"}
                        - {name: "streamer", base-url: "%s"}
                    img-gen:
                      load-balance: {type: round-robin}
                      instances:
                        - {name: "sd", base-url: "%s"}
                        - {name: "sd", base-url: "%s"}
                """.formatted(
                        hung.baseUrl(),
                        hungBeside.baseUrl(),
                        healthy.baseUrl(),
                        streaming.baseUrl(),
                        hungImages.baseUrl(),
                        healthyImages.baseUrl()));
        client = router.client();
        hung.holdRequests();
        hungBeside.holdRequests();
        hungImages.holdRequests();
    }

    @AfterAll
    static void stop() throws Exception {
        Closing.all(router, hung, hungBeside, healthy, streaming, hungImages, healthyImages);
    }

    @Test
    void aHungInstanceIsAnsweredWith504NamingTheModel() {
        InternalServerException error = assertTimeoutPreemptively(
                WELL_BEFORE_IDLE_TIMEOUT,
                () -> assertThrows(InternalServerException.class, () -> router.chat("alone")));

        assertEquals(504, error.statusCode());
        assertTrue(error.getMessage().contains("model 'alone' did not start its answer"), error.getMessage());
        assertFalse(error.getMessage().contains("127.0.0.1"), "the reply names the upstream: " + error.getMessage());
    }

    @Test
    void aRequestTheHungInstanceTookIsAnsweredByAnother() {
        int before = hungBeside.requestCount();
        assertTimeoutPreemptively(WELL_BEFORE_IDLE_TIMEOUT, () -> {
            // Round-robin: one of two lands on the hung instance first.
            for (int i = 0; i < 2; i++) {
                assertEquals("Hello from chat-healthy", router.chat("pair"));
            }
        });
        assertTrue(hungBeside.requestCount() > before, "round-robin never tried the hung instance");
    }

    /** An image may be generated to the end after its request timed out: it is not generated twice. */
    @Test
    void aTimedOutImageRequestIsNotTriedAgain() {
        int before = healthyImages.requestCount();
        InternalServerException error = assertTimeoutPreemptively(WELL_BEFORE_IDLE_TIMEOUT, () -> {
            // Round-robin: one of two lands on the hung instance first.
            int generated = 0;
            while (true) {
                try {
                    generateImage();
                    generated++;
                } catch (InternalServerException e) {
                    assertEquals(before + generated, healthyImages.requestCount(), "the timed-out request was retried");
                    return e;
                }
            }
        });
        assertEquals(504, error.statusCode());
    }

    @Test
    void aStreamRunsOnPastTheResponseTimeout() throws Exception {
        Gate rest = streaming.pauseStreamsAfterFirstChunk();
        assertTimeoutPreemptively(WELL_BEFORE_IDLE_TIMEOUT, () -> {
            try (StreamResponse<ChatCompletionChunk> stream = client.chat()
                    .completions()
                    .createStreaming(ChatCompletionCreateParams.builder()
                            .model("streamer")
                            .addUserMessage("hi")
                            .build())) {
                Iterator<ChatCompletionChunk> chunks = stream.stream().iterator();
                chunks.next();
                // A request that started after the stream timed out: the stream is older than the timeout.
                assertThrows(InternalServerException.class, () -> router.chat("alone"));
                rest.open();
                StringBuilder text = new StringBuilder();
                chunks.forEachRemaining(chunk ->
                        chunk.choices().forEach(c -> c.delta().content().ifPresent(text::append)));
                assertEquals("Hello from chat-streaming", text.toString());
            }
        });
    }

    private static void generateImage() {
        client.images()
                .generate(ImageGenerateParams.builder()
                        .model("sd")
                        .prompt("a cat")
                        .build());
    }
}
