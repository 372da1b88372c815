package org.jairouter.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.PermissionDeniedException;
import com.openai.errors.RateLimitException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.audio.speech.SpeechCreateParams;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.images.ImageGenerateParams;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import org.jairouter.fixtures.Closing;
import org.jairouter.fixtures.Conditions;
import org.jairouter.fixtures.Gate;
import org.jairouter.fixtures.StubBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Rate limits, daily budgets and key changes, through a real Envoy and the official SDK: a burst over
 * a limit meets 429 with retry-after and passes again after the refill, buckets of different keys and
 * addresses are independent, and a key removed from the file is refused while other keys' streams run
 * on. Daily budgets: {@link KeyBudgetsThroughEnvoyTest}.
 */
class ClientLimitsThroughEnvoyTest {
    private static final String A = "sk-limited-key-a-000001";
    private static final String B = "sk-limited-key-b-000002";
    private StubBackend stub;
    private RouterHarness router;

    private static String config(StubBackend stub, boolean withB) {
        return """
                jairouter:
                  security:
                    enabled: true
                    api-key:
                      keys:
                        - {key-id: a, key-value: "%s"}
                """.formatted(A)
                + (withB ? "        - {key-id: b, key-value: \"%s\"}\n".formatted(B) : "")
                + """
                model:
                  services:
                    chat:
                      instances: [{name: m, base-url: "%s"}]
                    embedding:
                      rate-limit: {enabled: true, scope: key, capacity: 2, rate: 1}
                      instances: [{name: e, base-url: "%s"}]
                    tts:
                      rate-limit: {enabled: true, scope: model, capacity: 2, rate: 1}
                      instances: [{name: v1, base-url: "%s"}, {name: v2, base-url: "%s"}]
                    img-gen:
                      rate-limit: {enabled: true, scope: client-ip, capacity: 2, rate: 1}
                      instances: [{name: i, base-url: "%s"}]
                """.formatted(stub.baseUrl(), stub.baseUrl(), stub.baseUrl(), stub.baseUrl(), stub.baseUrl());
    }

    @BeforeEach
    void start() throws Exception {
        stub = StubBackend.start("limited");
        router = RouterHarness.start(config(stub, true));
    }

    @AfterEach
    void stop() throws Exception {
        Closing.all(router, stub);
    }

    @Test
    void aBurstOverTheLimitIsRefusedWithRetryAfterAndPassesAfterTheRefill() throws Exception {
        embed(A);
        embed(A);
        RateLimitException refused = assertThrows(RateLimitException.class, () -> embed(A));
        assertEquals(Optional.of("rate_limit_exceeded"), refused.code());
        assertFalse(refused.headers().values("retry-after").isEmpty(), "429 without retry-after");
        // Another key's bucket is its own.
        embed(B);
        Conditions.await("key a passing again after the refill", Duration.ofSeconds(10), () -> {
            try {
                embed(A);
                return true;
            } catch (RateLimitException stillLimited) {
                return false;
            }
        });
    }

    @Test
    void eachClientAddressHasItsOwnBucket() throws Exception {
        OpenAIClient fromOne = client(A);
        OpenAIClient fromTwo = RouterHarness.clientBuilder(router.baseUrl())
                .apiKey(A)
                .okHttpClient(new OkHttpClient.Builder()
                        .socketFactory(new BoundSocketFactory(InetAddress.getByName("127.0.0.2")))
                        .build())
                .build();
        image(fromOne);
        image(fromOne);
        assertThrows(RateLimitException.class, () -> image(fromOne));
        image(fromTwo);
    }

    @Test
    void eachModelHasItsOwnBucketKnownFromTheBody() {
        speak("v1");
        speak("v1");
        assertThrows(RateLimitException.class, () -> speak("v1"));
        speak("v2");
    }

    @Test
    void aKeyRemovedFromTheFileIsRefusedWhileOtherKeysStreamOn() throws Exception {
        Gate paused = stub.pauseStreamsAfterFirstChunk();
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder()
                .model("m")
                .addUserMessage("hi")
                .build();
        CompletableFuture<Long> stream = CompletableFuture.supplyAsync(() -> {
            try (StreamResponse<ChatCompletionChunk> chunks =
                    client(A).chat().completions().createStreaming(params)) {
                return chunks.stream().count();
            }
        });
        assertTrue(paused.awaitWaiter(Duration.ofSeconds(30)), "the stream never started");
        chat(B);
        router.replaceConfig(config(stub, false));
        Conditions.await("key b refused as unknown", Duration.ofSeconds(3), () -> {
            try {
                chat(B);
                return false;
            } catch (PermissionDeniedException refusedByTheNewRoutesFirst) {
                // The routes (RDS) may be in force a moment before the listener (LDS) that no longer
                // knows the key: refused already, as not permitted, until the listener follows.
                return false;
            } catch (UnauthorizedException refused) {
                return true;
            }
        });
        for (int i = 0; i < 5; i++) {
            chat(A);
        }
        paused.open();
        assertTrue(stream.get(30, TimeUnit.SECONDS) > 1, "the stream of key a was cut");
    }

    private OpenAIClient client(String key) {
        return RouterHarness.clientBuilder(router.baseUrl()).apiKey(key).build();
    }

    private void chat(String key) {
        client(key)
                .chat()
                .completions()
                .create(ChatCompletionCreateParams.builder()
                        .model("m")
                        .addUserMessage("hi")
                        .build());
    }

    private void embed(String key) {
        client(key)
                .embeddings()
                .create(EmbeddingCreateParams.builder().model("e").input("hi").build());
    }

    private void speak(String model) {
        client(A)
                .audio()
                .speech()
                .create(SpeechCreateParams.builder()
                        .model(model)
                        .input("hi")
                        .voice("alloy")
                        .build())
                .close();
    }

    private static void image(OpenAIClient client) {
        client.images()
                .generate(
                        ImageGenerateParams.builder().model("i").prompt("a cat").build());
    }
}
