package org.jairouter.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.jairouter.fixtures.RecordedRequest;
import org.jairouter.fixtures.StubBackend;
import org.junit.jupiter.api.Test;

/**
 * The router's own headers steer Envoy (the instance's path, the models of a fallback, the key id, the
 * gates' marks): a client's copies are removed on arrival and never reach an instance, whichever name.
 */
class InternalHeadersFromClientsTest {
    private static final List<String> INTERNAL = List.of(
            "x-jairouter-endpoint-path",
            "x-jairouter-requested-model",
            "x-jairouter-instance-model",
            "x-jairouter-served-model",
            "x-jairouter-unserved",
            "x-jairouter-key-id",
            "x-jairouter-refusal",
            "X-JAiRouter-Some-Future-Header");

    @Test
    void aClientsInternalHeadersNeverReachAnInstance() throws Exception {
        try (StubBackend stub = StubBackend.start("chat-1");
                RouterHarness router = RouterHarness.start(RouterHarness.oneChatInstance(stub.baseUrl()))) {
            OpenAIOkHttpClient.Builder builder = RouterHarness.clientBuilder(router.baseUrl());
            INTERNAL.forEach(name -> builder.putHeader(name, "/v1/evil"));
            builder.putHeader("x-jairouter", "no suffix: not the router's");
            OpenAIClient client = builder.build();
            try {
                RouterHarness.chat(client, "qwen3");
            } finally {
                client.close();
            }
            RecordedRequest seen = stub.requests().get(stub.requests().size() - 1);
            assertEquals("/v1/chat/completions", seen.path());
            Set<String> internal = seen.headers().keySet().stream()
                    .filter(name -> name.toLowerCase().startsWith("x-jairouter-"))
                    .collect(Collectors.toSet());
            assertEquals(Set.of(), internal, "the instance saw " + seen.headers());
            assertTrue(seen.headers().containsKey("x-jairouter"), "an ordinary header was removed too");
        }
    }
}
