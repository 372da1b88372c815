package org.jairouter.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.core.http.HttpResponseFor;
import com.openai.models.audio.transcriptions.TranscriptionCreateParams;
import com.openai.models.audio.transcriptions.TranscriptionCreateResponse;
import com.openai.models.chat.completions.ChatCompletion;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.jairouter.fixtures.Conditions;
import org.jairouter.fixtures.StubBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * fallback-models through a real Envoy: a model with no healthy instance is served by its fallback,
 * whose server is sent its own model name (JSON, stream and multipart bodies alike), the response names
 * the model that served, and the model gets its traffic back once it is healthy again.
 */
class ModelFallbackThroughEnvoyTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private StubBackend big;
    private StubBackend small;
    private StubBackend whisperLarge;
    private StubBackend whisperSmall;
    private RouterHarness router;

    @BeforeEach
    void start() throws Exception {
        big = StubBackend.start("big");
        small = StubBackend.start("small");
        whisperLarge = StubBackend.start("whisper-large");
        whisperSmall = StubBackend.start("whisper-small");
        router = RouterHarness.start(
                """
                model:
                  health-check: {interval: 500ms, timeout: 400ms, unhealthy-threshold: 1, healthy-threshold: 1}
                  services:
                    chat:
                      retry: {attempts: 1}
                      fallback-models:
                        big: [small]
                      instances:
                        - {name: big, base-url: "%s"}
                        - {name: small, base-url: "%s"}
                    stt:
                      fallback-models:
                        whisper-large: [whisper-small]
                      instances:
                        - {name: whisper-large, base-url: "%s"}
                        - {name: whisper-small, base-url: "%s"}
                """.formatted(big.baseUrl(), small.baseUrl(), whisperLarge.baseUrl(), whisperSmall.baseUrl()));
        router.awaitEnvoy(clusters -> clusters.keySet().stream()
                        .filter(name -> name.endsWith("~fallback"))
                        .count()
                == 2);
    }

    @AfterEach
    void stop() throws Exception {
        if (router != null) {
            router.close();
        }
        for (StubBackend stub : new StubBackend[] {big, small, whisperLarge, whisperSmall}) {
            stub.close();
        }
    }

    @Test
    void aModelWithNoHealthyInstanceIsServedByItsFallbackUntilItIsBack() throws Exception {
        HttpResponseFor<ChatCompletion> before = FallbackCalls.chat(router.client(), "big");
        assertEquals("Hello from big", FallbackCalls.content(before.parse()));
        assertEquals(List.of("big"), before.headers().values(FallbackCalls.SERVED));

        int port = takeDown(big);
        HttpResponseFor<ChatCompletion> fallback = FallbackCalls.chat(router.client(), "big");

        assertEquals("Hello from small", FallbackCalls.content(fallback.parse()));
        assertEquals(List.of("small"), fallback.headers().values(FallbackCalls.SERVED));
        assertEquals("small", FallbackCalls.last(small).model());

        big = StubBackend.start("big", port);
        // Envoy's workers learn of the recovery a moment after its first passed check.
        Conditions.await(
                "the model serving its own requests again",
                WAIT,
                () -> FallbackCalls.content(
                                FallbackCalls.chat(router.client(), "big").parse())
                        .equals("Hello from big"));
        assertEquals(
                List.of("big"),
                FallbackCalls.chat(router.client(), "big").headers().values(FallbackCalls.SERVED));
        assertEquals("big", FallbackCalls.last(big).model());
    }

    @Test
    void aStreamForAModelThatIsDownComesFromItsFallback() throws Exception {
        takeDown(big);

        FallbackCalls.Streamed streamed = FallbackCalls.stream(router.client(), "big");
        assertEquals("Hello from small", streamed.text());
        assertEquals(List.of("small"), streamed.served());
        assertEquals("small", FallbackCalls.last(small).model());
    }

    @Test
    void aTranscriptionForAModelThatIsDownComesFromItsFallback() throws Exception {
        takeDown(whisperLarge);
        Path audio = Files.write(dir.resolve("speech.wav"), new byte[20_000]);

        HttpResponseFor<TranscriptionCreateResponse> response = router.client()
                .withRawResponse()
                .audio()
                .transcriptions()
                .create(TranscriptionCreateParams.builder()
                        .model("whisper-large")
                        .file(audio)
                        .build());

        String text = response.parse().asTranscription().text();
        assertTrue(text.contains("whisper-small heard 20000 bytes from speech.wav"), text);
        assertEquals(List.of("whisper-small"), response.headers().values(FallbackCalls.SERVED));
        assertEquals("whisper-small", FallbackCalls.last(whisperSmall).model());
    }

    @Test
    void aRetryAfterAnInstanceDroppedTheRequestGoesToTheFallback() throws Exception {
        // Health checks still pass: only the retry can move the request.
        big.dropRequests(true);

        HttpResponseFor<ChatCompletion> response = FallbackCalls.chat(router.client(), "big");

        assertEquals("Hello from small", FallbackCalls.content(response.parse()));
        assertEquals(List.of("small"), response.headers().values(FallbackCalls.SERVED));
        assertEquals(1, big.requestCount());
        assertEquals("small", FallbackCalls.last(small).model());
    }

    @Test
    void aFallbackModelsOwnRequestsAreUntouched() {
        HttpResponseFor<ChatCompletion> response = FallbackCalls.chat(router.client(), "small");

        assertEquals("Hello from small", FallbackCalls.content(response.parse()));
        assertEquals(List.of(), response.headers().values(FallbackCalls.SERVED));
        assertEquals("small", FallbackCalls.last(small).model());
        assertEquals(0, big.requestCount());
    }

    /** Stops the stub and waits until Envoy has marked it down; returns its port, to start it again on. */
    private int takeDown(StubBackend stub) throws Exception {
        int port = stub.port();
        stub.close();
        Conditions.awaitValue(
                "Envoy marking the stopped instance down",
                WAIT,
                () -> router.admin().hostStatuses().stream()
                        .filter(host -> host.hostname().endsWith(":" + port) && !host.healthy())
                        .findAny());
        return port;
    }
}
