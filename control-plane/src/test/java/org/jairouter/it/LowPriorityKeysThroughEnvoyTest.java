package org.jairouter.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.core.http.HttpResponseFor;
import com.openai.errors.InternalServerException;
import com.openai.errors.OpenAIServiceException;
import com.openai.errors.RateLimitException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.jairouter.fixtures.Closing;
import org.jairouter.fixtures.Conditions;
import org.jairouter.fixtures.Gate;
import org.jairouter.fixtures.StubBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Interactive before batch through a real Envoy, seen through the official SDK: a model capped at {@value
 * #CAP} concurrent requests, of which low-priority keys may hold {@value #LOW_PRIORITY_SHARE}. Requests are
 * held at the instance, so every admission and refusal is decided by the router's counters alone.
 */
class LowPriorityKeysThroughEnvoyTest {
    private static final int CAP = 4;
    private static final int LOW_PRIORITY_SHARE = 2;
    private static final String INTERACTIVE = "sk-interactive-client-key-1";
    private static final String BATCH = "sk-nightly-batch-client-key";
    private static final ChatCompletionCreateParams CHAT =
            ChatCompletionCreateParams.builder().model("m").addUserMessage("hi").build();
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String KEYS = """
            jairouter:
              security:
                enabled: true
                api-key:
                  keys:
                    - {key-id: interactive, key-value: "%s"}
                    - {key-id: nightly-batch, key-value: "%s", priority: low}
            """.formatted(INTERACTIVE, BATCH);

    private static StubBackend slow;
    private static RouterHarness router;
    private static OpenAIClient interactive;
    private static OpenAIClient batch;
    private final ExecutorService callers = Executors.newCachedThreadPool();

    @BeforeAll
    static void start() throws Exception {
        slow = StubBackend.start("slow");
        router = RouterHarness.start(KEYS + """
                model:
                  services:
                    chat:
                      health-check: {type: none}
                      circuit-breaker: {max-concurrent-requests: %d, max-concurrent-low-priority-requests: %d}
                      instances:
                        - {name: m, base-url: "%s"}
                """.formatted(CAP, LOW_PRIORITY_SHARE, slow.baseUrl()));
        interactive = RouterHarness.clientBuilder(router.baseUrl())
                .apiKey(INTERACTIVE)
                .build();
        batch = RouterHarness.clientBuilder(router.baseUrl()).apiKey(BATCH).build();
    }

    @AfterAll
    static void stop() throws Exception {
        interactive.close();
        batch.close();
        Closing.all(router, slow);
    }

    @AfterEach
    void stopCallers() {
        callers.shutdownNow();
    }

    @Test
    void batchIsRefusedOnceItsShareIsHeldWhileInteractiveStillGetsThrough() throws Exception {
        Gate held = slow.holdRequests();
        List<CompletableFuture<ChatCompletion>> admitted = new ArrayList<>(start(batch, LOW_PRIORITY_SHARE));
        Conditions.await("the batch share held", WAIT, () -> slow.inFlight() == LOW_PRIORITY_SHARE);

        for (int i = 0; i < 3; i++) {
            assertBatchRefused(refusal(batch));
        }
        admitted.addAll(start(interactive, CAP - LOW_PRIORITY_SHARE));
        Conditions.await("interactive admitted beside the batch", WAIT, () -> slow.inFlight() == CAP);

        // Full now: interactive meets the model's cap; batch is still told to come back later.
        InternalServerException full =
                assertInstanceOf(InternalServerException.class, refusal(interactive), "interactive at the cap");
        assertEquals(Optional.of("model_overloaded"), full.code());
        assertBatchRefused(refusal(batch));

        held.open();
        admitted.forEach(CompletableFuture::join);
        assertEquals(CAP, slow.mostInFlight(), "the most requests the instance ever carried");
        assertTrue(
                slow.requests().stream()
                        .allMatch(request ->
                                request.headers().keySet().stream().noneMatch(name -> name.startsWith("x-jairouter-"))),
                "no router header reaches the instance");
        RouterHarness.chat(batch, "m");
    }

    @Test
    void interactiveIsNeverRefusedWhereBatchIsAdmitted() throws Exception {
        Gate held = slow.holdRequests();
        // Interactive may take every slot; batch then finds the model full even with its share unused.
        List<CompletableFuture<ChatCompletion>> admitted = new ArrayList<>(start(interactive, CAP - 1));
        Conditions.await("interactive in flight", WAIT, () -> slow.inFlight() == CAP - 1);
        admitted.addAll(start(batch, 1));
        Conditions.await("the last slot taken by batch", WAIT, () -> slow.inFlight() == CAP);

        assertBatchRefused(refusal(batch));
        assertInstanceOf(InternalServerException.class, refusal(interactive), "interactive at the cap");

        held.open();
        admitted.forEach(CompletableFuture::join);
        assertEquals(CAP, slow.mostInFlight(), "the most requests the instance ever carried");
    }

    @Test
    void anInteractiveKeyMayAskForLowPriorityAndABatchKeyCannotAskForMore() throws Exception {
        OpenAIClient asksLow = RouterHarness.clientBuilder(router.baseUrl())
                .apiKey(INTERACTIVE)
                .putHeader("X-Request-Priority", "Low")
                .build();
        OpenAIClient batchAsksNormal = RouterHarness.clientBuilder(router.baseUrl())
                .apiKey(BATCH)
                .putHeader("X-Request-Priority", "normal")
                .build();
        try {
            Gate held = slow.holdRequests();
            List<CompletableFuture<ChatCompletion>> admitted = new ArrayList<>(start(asksLow, LOW_PRIORITY_SHARE));
            Conditions.await("the batch share held", WAIT, () -> slow.inFlight() == LOW_PRIORITY_SHARE);

            assertBatchRefused(refusal(asksLow));
            assertBatchRefused(refusal(batchAsksNormal));
            admitted.addAll(start(interactive, 1));
            Conditions.await("interactive admitted", WAIT, () -> slow.inFlight() == LOW_PRIORITY_SHARE + 1);

            held.open();
            admitted.forEach(CompletableFuture::join);
        } finally {
            asksLow.close();
            batchAsksNormal.close();
        }
    }

    @Test
    void batchRequestsCountOnTheInstanceBehindTheGateAndRefusalsOnNone() throws Exception {
        String key = "key_id=\"nightly-batch\"";
        String atTheInstance = "instance=\"" + slow.baseUrl() + "\"";
        long servedBefore = router.requestsCounted("2xx", key, atTheInstance);
        long refusedBefore = router.requestsCounted("4xx", key);
        RouterHarness.chat(batch, "m");
        Gate held = slow.holdRequests();
        // The model full of interactive requests: the gate inside refuses, after Envoy picked the instance.
        List<CompletableFuture<ChatCompletion>> admitted = start(interactive, CAP);
        Conditions.await("the model full", WAIT, () -> slow.inFlight() == CAP);
        assertBatchRefused(refusal(batch));
        held.open();
        admitted.forEach(CompletableFuture::join);

        Conditions.await(
                "the served batch request counted at its instance, the refused one counted",
                WAIT,
                () -> router.requestsCounted("2xx", key, atTheInstance) >= servedBefore + 1
                        && router.requestsCounted("4xx", key) >= refusedBefore + 1);
        assertEquals(0, router.requestsCounted("4xx", key, atTheInstance), "refusals counted at the instance");
    }

    @Test
    void aFullModelPassesBatchRequestsToItsFallback() throws Exception {
        String capped = "health-check: {type: none}\ncircuit-breaker: {max-concurrent-requests: 1}";
        try (FallbackServers servers = FallbackServers.start();
                RouterHarness chain = FallbackServers.route(
                        KEYS + "model:\n  services:\n" + servers.services(capped, ""), "~low-priority")) {
            OpenAIClient chainInteractive = RouterHarness.clientBuilder(chain.baseUrl())
                    .apiKey(INTERACTIVE)
                    .build();
            OpenAIClient chainBatch =
                    RouterHarness.clientBuilder(chain.baseUrl()).apiKey(BATCH).build();
            Gate bigHeld = servers.big.holdRequests();
            CompletableFuture<HttpResponseFor<ChatCompletion>> atBig =
                    CompletableFuture.supplyAsync(() -> FallbackCalls.chat(chainInteractive, "big"), callers);
            Conditions.await("big full", WAIT, () -> servers.big.inFlight() == 1);

            HttpResponseFor<ChatCompletion> fallback = FallbackCalls.chat(chainBatch, "big");

            assertEquals("Hello from small", FallbackCalls.content(fallback.parse()));
            assertEquals(List.of("small"), fallback.headers().values(FallbackCalls.SERVED));
            assertEquals("small", FallbackCalls.last(servers.small).model());
            bigHeld.open();
            assertEquals("Hello from big", FallbackCalls.content(atBig.get().parse()));
            chainInteractive.close();
            chainBatch.close();
        }
    }

    private List<CompletableFuture<ChatCompletion>> start(OpenAIClient client, int count) {
        List<CompletableFuture<ChatCompletion>> calls = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            calls.add(CompletableFuture.supplyAsync(
                    () -> client.chat().completions().create(CHAT), callers));
        }
        return calls;
    }

    /** The refusal of one request, answered while the admitted ones are still held. */
    private static OpenAIServiceException refusal(OpenAIClient client) {
        try {
            client.chat().completions().create(CHAT);
        } catch (OpenAIServiceException refused) {
            return refused;
        }
        throw new AssertionError("the request was admitted");
    }

    private static void assertBatchRefused(OpenAIServiceException refused) {
        RateLimitException limited = assertInstanceOf(RateLimitException.class, refused, "a batch request");
        assertEquals(429, limited.statusCode());
        assertEquals(Optional.of("low_priority_capacity"), limited.code());
        assertEquals(List.of("5"), limited.headers().values("retry-after"));
    }
}
