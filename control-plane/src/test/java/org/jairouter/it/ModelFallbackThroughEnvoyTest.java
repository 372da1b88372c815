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
import org.jairouter.fixtures.Closing;
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

    private FallbackServers servers;
    private RouterHarness router;

    @BeforeEach
    void start() throws Exception {
        servers = FallbackServers.start();
        router = FallbackServers.route("""
                model:
                  health-check: {interval: 500ms, timeout: 400ms, unhealthy-threshold: 1, healthy-threshold: 1}
                  services:
                """ + servers.services("retry: {attempts: 1}", ""), "~fallback");
    }

    @AfterEach
    void stop() throws Exception {
        Closing.all(router, servers);
    }

    @Test
    void aModelWithNoHealthyInstanceIsServedByItsFallbackUntilItIsBack() throws Exception {
        HttpResponseFor<ChatCompletion> before = FallbackCalls.chat(router.client(), "big");
        assertEquals("Hello from big", FallbackCalls.content(before.parse()));
        assertEquals(List.of("big"), before.headers().values(FallbackCalls.SERVED));

        int port = takeDown(servers.big);
        HttpResponseFor<ChatCompletion> fallback = FallbackCalls.chat(router.client(), "big");

        assertEquals("Hello from small", FallbackCalls.content(fallback.parse()));
        assertEquals(List.of("small"), fallback.headers().values(FallbackCalls.SERVED));
        assertEquals("small", FallbackCalls.last(servers.small).model());

        servers.big = StubBackend.start("big", port);
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
        assertEquals("big", FallbackCalls.last(servers.big).model());
    }

    @Test
    void aStreamForAModelThatIsDownComesFromItsFallback() throws Exception {
        takeDown(servers.big);

        FallbackCalls.Streamed streamed = FallbackCalls.stream(router.client(), "big");
        assertEquals("Hello from small", streamed.text());
        assertEquals(List.of("small"), streamed.served());
        assertEquals("small", FallbackCalls.last(servers.small).model());
    }

    @Test
    void aTranscriptionForAModelThatIsDownComesFromItsFallback() throws Exception {
        takeDown(servers.whisperLarge);
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
        assertEquals("whisper-small", FallbackCalls.last(servers.whisperSmall).model());
    }

    @Test
    void aRetryAfterAnInstanceDroppedTheRequestGoesToTheFallback() throws Exception {
        // Health checks still pass: only the retry can move the request.
        servers.big.dropRequests(true);

        HttpResponseFor<ChatCompletion> response = FallbackCalls.chat(router.client(), "big");

        assertEquals("Hello from small", FallbackCalls.content(response.parse()));
        assertEquals(List.of("small"), response.headers().values(FallbackCalls.SERVED));
        assertEquals(1, servers.big.requestCount());
        assertEquals("small", FallbackCalls.last(servers.small).model());
    }

    @Test
    void aFallbackModelsOwnRequestsAreUntouched() {
        HttpResponseFor<ChatCompletion> response = FallbackCalls.chat(router.client(), "small");

        assertEquals("Hello from small", FallbackCalls.content(response.parse()));
        assertEquals(List.of(), response.headers().values(FallbackCalls.SERVED));
        assertEquals("small", FallbackCalls.last(servers.small).model());
        assertEquals(0, servers.big.requestCount());
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
