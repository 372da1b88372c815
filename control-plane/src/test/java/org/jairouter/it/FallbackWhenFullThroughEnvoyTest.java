package org.jairouter.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.core.http.HttpResponseFor;
import com.openai.errors.InternalServerException;
import com.openai.models.audio.transcriptions.TranscriptionCreateParams;
import com.openai.models.audio.transcriptions.TranscriptionCreateResponse;
import com.openai.models.chat.completions.ChatCompletion;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.jairouter.fixtures.Closing;
import org.jairouter.fixtures.Conditions;
import org.jairouter.fixtures.Gate;
import org.jairouter.fixtures.StubBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * fallback-models with max-concurrent-requests through a real Envoy (two workers): a model at its cap
 * passes new requests to its fallback (JSON, stream and multipart alike, the body naming the fallback),
 * its own requests in flight run on, and it serves again once it has room; with the fallback full too
 * the client gets 503 model_overloaded. No instance ever holds more than the cap. A model entered through
 * its gate that cannot be reached at all falls back as well.
 */
class FallbackWhenFullThroughEnvoyTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private final ExecutorService clients = Executors.newCachedThreadPool();
    private FallbackServers servers;
    private RouterHarness router;

    @BeforeEach
    void start() throws Exception {
        servers = FallbackServers.start();
        String capped = "health-check: {type: none}\ncircuit-breaker: {max-concurrent-requests: 1}";
        router = FallbackServers.route("model:\n  services:\n" + servers.services(capped, capped), "~gate");
    }

    @AfterEach
    void stop() throws Exception {
        clients.shutdownNow();
        Closing.all(router, servers);
    }

    @Test
    void aFullModelsNewRequestsGoToItsFallbackUntilItHasRoomAgain() throws Exception {
        Gate bigHeld = servers.big.holdRequests();
        CompletableFuture<HttpResponseFor<ChatCompletion>> inFlight =
                held(servers.big, () -> FallbackCalls.chat(router.client(), "big"));

        HttpResponseFor<ChatCompletion> fallback = FallbackCalls.chat(router.client(), "big");
        assertEquals("Hello from small", FallbackCalls.content(fallback.parse()));
        assertEquals(List.of("small"), fallback.headers().values(FallbackCalls.SERVED));
        assertEquals("small", FallbackCalls.last(servers.small).model());

        FallbackCalls.Streamed streamed = FallbackCalls.stream(router.client(), "big");
        assertEquals("Hello from small", streamed.text());
        assertEquals(List.of("small"), streamed.served());
        assertEquals("small", FallbackCalls.last(servers.small).model());

        bigHeld.open();
        HttpResponseFor<ChatCompletion> own = inFlight.get();
        assertEquals("Hello from big", FallbackCalls.content(own.parse()), "the full model's own request ran on");
        assertEquals(List.of("big"), own.headers().values(FallbackCalls.SERVED));
        HttpResponseFor<ChatCompletion> again = FallbackCalls.chat(router.client(), "big");
        assertEquals("Hello from big", FallbackCalls.content(again.parse()));
        assertEquals(List.of("big"), again.headers().values(FallbackCalls.SERVED));
        assertEquals(1, servers.big.mostInFlight(), "the cap held at the full model");
    }

    @Test
    void withItsFallbackFullTooARequestIsRefusedAsOverloaded() throws Exception {
        Gate bigHeld = servers.big.holdRequests();
        Gate smallHeld = servers.small.holdRequests();
        CompletableFuture<HttpResponseFor<ChatCompletion>> atBig =
                held(servers.big, () -> FallbackCalls.chat(router.client(), "big"));
        CompletableFuture<HttpResponseFor<ChatCompletion>> atSmall =
                held(servers.small, () -> FallbackCalls.chat(router.client(), "big"));

        InternalServerException refused =
                assertThrows(InternalServerException.class, () -> FallbackCalls.chat(router.client(), "big"));
        assertEquals(503, refused.statusCode());
        assertEquals(Optional.of("model_overloaded"), refused.code());
        assertEquals(List.of("1"), refused.headers().values("retry-after"));
        assertEquals(List.of(), refused.headers().values("x-jairouter-unserved"));

        bigHeld.open();
        smallHeld.open();
        assertEquals("Hello from big", FallbackCalls.content(atBig.get().parse()));
        assertEquals("Hello from small", FallbackCalls.content(atSmall.get().parse()));
        assertEquals(1, servers.big.mostInFlight());
        assertEquals(1, servers.small.mostInFlight());
        assertEquals(
                List.of("big"),
                FallbackCalls.chat(router.client(), "big").headers().values(FallbackCalls.SERVED),
                "freed, the model serves again");
    }

    @Test
    void aCappedModelThatCannotBeReachedIsServedByItsFallbackToo() {
        servers.big.close();

        HttpResponseFor<ChatCompletion> response = FallbackCalls.chat(router.client(), "big");

        assertEquals("Hello from small", FallbackCalls.content(response.parse()));
        assertEquals(List.of("small"), response.headers().values(FallbackCalls.SERVED));
        assertEquals("small", FallbackCalls.last(servers.small).model());
    }

    @Test
    void aTranscriptionForAFullModelComesFromItsFallback() throws Exception {
        Path audio = Files.write(dir.resolve("speech.wav"), new byte[20_000]);
        Gate held = servers.whisperLarge.holdRequests();
        CompletableFuture<HttpResponseFor<TranscriptionCreateResponse>> inFlight =
                held(servers.whisperLarge, () -> transcribe("whisper-large", audio));

        HttpResponseFor<TranscriptionCreateResponse> response = transcribe("whisper-large", audio);

        String text = response.parse().asTranscription().text();
        assertTrue(text.contains("whisper-small heard 20000 bytes from speech.wav"), text);
        assertEquals(List.of("whisper-small"), response.headers().values(FallbackCalls.SERVED));
        assertEquals("whisper-small", FallbackCalls.last(servers.whisperSmall).model());
        held.open();
        assertTrue(inFlight.get().parse().asTranscription().text().contains("whisper-large heard 20000 bytes"));
        assertEquals(1, servers.whisperLarge.mostInFlight());
    }

    /** Starts the call and waits until the stub holds it: the stub's model is then at its cap of one. */
    private <T> CompletableFuture<T> held(StubBackend stub, Supplier<T> call) throws InterruptedException {
        int before = stub.inFlight();
        CompletableFuture<T> future = CompletableFuture.supplyAsync(call, clients);
        Conditions.await("the request held at " + stub.name(), WAIT, () -> stub.inFlight() > before);
        return future;
    }

    private HttpResponseFor<TranscriptionCreateResponse> transcribe(String model, Path audio) {
        return router.client()
                .withRawResponse()
                .audio()
                .transcriptions()
                .create(TranscriptionCreateParams.builder()
                        .model(model)
                        .file(audio)
                        .build());
    }
}
