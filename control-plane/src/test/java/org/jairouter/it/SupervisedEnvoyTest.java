package org.jairouter.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.openai.models.chat.completions.ChatCompletionCreateParams;
import java.time.Duration;
import java.util.Optional;
import org.jairouter.fixtures.Conditions;
import org.jairouter.fixtures.StubBackend;
import org.junit.jupiter.api.Test;

/** The control plane restarts an Envoy that dies, and the new Envoy gets the config and serves. */
class SupervisedEnvoyTest {
    @Test
    void aKilledEnvoyIsRestartedAndServesAgain() throws Exception {
        try (StubBackend backend = StubBackend.start("chat-1");
                RouterHarness router = RouterHarness.start(RouterHarness.oneChatInstance(backend.baseUrl()))) {
            ProcessHandle first = envoyChild().orElseThrow();

            first.destroyForcibly();
            first.onExit().get();
            ProcessHandle second = awaitEnvoyChild(Duration.ofMinutes(1));
            // The listener was configured on port 0, so the new Envoy has a new port.
            int port = router.router().awaitReady(Duration.ofMinutes(1));

            assertNotEquals(first.pid(), second.pid());
            var client = RouterHarness.clientBuilder("http://127.0.0.1:" + port + "/v1")
                    .apiKey("k")
                    .build();
            var completion = client.chat()
                    .completions()
                    .create(ChatCompletionCreateParams.builder()
                            .model("qwen3")
                            .addUserMessage("hi")
                            .build());
            assertEquals(
                    "Hello from chat-1",
                    completion.choices().get(0).message().content().orElseThrow());
        }
    }

    private static Optional<ProcessHandle> envoyChild() {
        return ProcessHandle.current()
                .children()
                .filter(p -> p.isAlive()
                        && p.info().command().map(c -> c.endsWith("/envoy")).orElse(false))
                .findFirst();
    }

    private static ProcessHandle awaitEnvoyChild(Duration timeout) throws InterruptedException {
        return Conditions.awaitValue("an Envoy being restarted", timeout, SupervisedEnvoyTest::envoyChild);
    }
}
