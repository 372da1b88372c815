package org.jairouter.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.openai.client.OpenAIClient;
import com.openai.errors.InternalServerException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.jairouter.fixtures.Conditions;
import org.jairouter.fixtures.Gate;
import org.jairouter.fixtures.StubBackend;
import org.junit.jupiter.api.Test;

/**
 * max-concurrent-requests through a real Envoy with two worker threads: an instance capped at N never
 * answers more than N requests at once, and every request beyond the cap gets 503
 * {@code model_overloaded} with retry-after at once, while the admitted ones run to their end.
 */
class MaxConcurrentRequestsThroughEnvoyTest {
    private static final int CAP = 2;
    private static final int BEYOND = 3;
    private static final ChatCompletionCreateParams CHAT =
            ChatCompletionCreateParams.builder().model("m").addUserMessage("hi").build();

    @Test
    void requestsBeyondTheCapAreRefusedWhileTheAdmittedOnesRun() throws Exception {
        ExecutorService clients = Executors.newCachedThreadPool();
        try (StubBackend slow = StubBackend.start("slow");
                RouterHarness router = RouterHarness.start("""
                     model:
                       services:
                         chat:
                           health-check: {type: none}
                           circuit-breaker: {max-concurrent-requests: %d}
                           instances:
                             - {name: m, base-url: "%s"}
                     """.formatted(CAP, slow.baseUrl()))) {
            OpenAIClient client = router.client();
            Gate held = slow.holdRequests();
            List<CompletableFuture<ChatCompletion>> calls = new ArrayList<>();
            for (int i = 0; i < CAP + BEYOND; i++) {
                calls.add(CompletableFuture.supplyAsync(
                        () -> client.chat().completions().create(CHAT), clients));
            }
            Conditions.await(
                    "the admitted requests at the instance", Duration.ofSeconds(60), () -> slow.inFlight() >= CAP);
            Conditions.await(
                    "the requests beyond the cap answered",
                    Duration.ofSeconds(60),
                    () -> calls.stream().filter(CompletableFuture::isDone).count() >= BEYOND);
            assertEquals(CAP, slow.inFlight(), "the instance holds exactly the admitted requests");
            assertEquals(
                    BEYOND, calls.stream().filter(CompletableFuture::isDone).count(), "requests answered while held");
            for (CompletableFuture<ChatCompletion> refused :
                    calls.stream().filter(CompletableFuture::isDone).toList()) {
                InternalServerException overloaded = assertInstanceOf(
                        InternalServerException.class, assertThrowsCompletion(refused), "a request beyond the cap");
                assertEquals(503, overloaded.statusCode());
                assertEquals(Optional.of("model_overloaded"), overloaded.code());
                assertEquals(List.of("1"), overloaded.headers().values("retry-after"));
            }
            held.open();
            for (CompletableFuture<ChatCompletion> admitted : calls.stream()
                    .filter(call -> !call.isCompletedExceptionally())
                    .toList()) {
                admitted.join();
            }
            assertEquals(CAP, slow.mostInFlight(), "the most requests the instance ever saw at once");
            client.chat().completions().create(CHAT);
        } finally {
            clients.shutdownNow();
        }
    }

    private static Throwable assertThrowsCompletion(CompletableFuture<?> call) {
        try {
            call.join();
        } catch (CompletionException e) {
            return e.getCause();
        }
        throw new AssertionError("the request succeeded");
    }
}
