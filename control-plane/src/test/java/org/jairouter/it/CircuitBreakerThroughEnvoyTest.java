package org.jairouter.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.openai.client.OpenAIClient;
import com.openai.errors.InternalServerException;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import java.time.Duration;
import org.jairouter.fixtures.Conditions;
import org.jairouter.fixtures.StubBackend;
import org.junit.jupiter.api.Test;

/**
 * JAiRouter's circuit breaker through a real Envoy: an instance failing failure-threshold times in a
 * row is taken out of rotation, the other serves everything, and after timeout it is tried again.
 */
class CircuitBreakerThroughEnvoyTest {
    private static final ChatCompletionCreateParams CHAT =
            ChatCompletionCreateParams.builder().model("m").addUserMessage("hi").build();

    @Test
    void anInstanceFailingInARowIsOpenedForTheTimeoutThenComesBack() throws Exception {
        try (StubBackend failing = StubBackend.start("failing");
                StubBackend healthy = StubBackend.start("healthy");
                RouterHarness router = RouterHarness.start("""
                     model:
                       services:
                         chat:
                           load-balance: {type: round-robin}
                           health-check: {type: none}
                           retry: {attempts: 0}
                           circuit-breaker: {enabled: true, failure-threshold: 2, timeout: 3000}
                           instances:
                             - {name: m, base-url: "%s"}
                             - {name: m, base-url: "%s"}
                     """.formatted(failing.baseUrl(), healthy.baseUrl()))) {
            OpenAIClient client = router.client();
            failing.failWith(500);
            Conditions.await("the failing instance seen failing twice", Duration.ofSeconds(30), () -> {
                chatIgnoringServerErrors(client);
                return failing.requestCount() >= 2;
            });
            int failedAt = failing.requestCount();
            for (int i = 0; i < 10; i++) {
                client.chat().completions().create(CHAT);
            }
            assertEquals(failedAt, failing.requestCount(), "an open breaker still sent traffic");
            failing.failWith(0);
            Conditions.await("the instance tried again after the timeout", Duration.ofSeconds(30), () -> {
                client.chat().completions().create(CHAT);
                return failing.requestCount() > failedAt;
            });
        }
    }

    private static void chatIgnoringServerErrors(OpenAIClient client) {
        try {
            client.chat().completions().create(CHAT);
        } catch (InternalServerException expected) {
            // the failing instance answered
        }
    }
}
