package org.jairouter.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.openai.client.OpenAIClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Set;
import java.util.stream.Collectors;
import org.jairouter.fixtures.RecordedRequest;
import org.jairouter.fixtures.StubBackend;
import org.junit.jupiter.api.Test;

/**
 * An instance's own headers (its API key) are added by Envoy for that instance only, on JSON and SSE
 * calls alike, and replace the client's; an instance without its own key gets the client's.
 */
class InstanceHeadersThroughEnvoyTest {
    @Test
    void eachInstanceGetsItsOwnKeyAndTheClientsKeyOnlyWhereThereIsNone() throws Exception {
        try (StubBackend keyed = StubBackend.start("keyed");
                StubBackend open = StubBackend.start("open");
                RouterHarness router =
                        RouterHarness.start("""
                     model:
                       services:
                         chat:
                           load-balance: {type: round-robin}
                           instances:
                             - name: m
                               base-url: "%s"
                               api-key: sk-instance-secret
                               headers: {X-Tenant: blue}
                             - name: m
                               base-url: "%s"
                             - name: k
                               base-url: "%s"
                               api-key: sk-instance-secret
                     """.formatted(keyed.baseUrl(), open.baseUrl(), keyed.baseUrl()))) {
            OpenAIClient client = RouterHarness.clientBuilder(router.baseUrl())
                    .apiKey("client-key")
                    .build();
            // Model k has only the keyed instance: its JSON and SSE calls must all carry the instance's key.
            for (String model : new String[] {"k", "k", "m", "m", "m", "m"}) {
                ChatCompletionCreateParams params = ChatCompletionCreateParams.builder()
                        .model(model)
                        .addUserMessage("hi")
                        .build();
                client.chat().completions().create(params);
                try (StreamResponse<ChatCompletionChunk> stream =
                        client.chat().completions().createStreaming(params)) {
                    stream.stream().count();
                }
            }

            assertEquals(Set.of("Bearer sk-instance-secret"), values(keyed, "authorization"));
            assertEquals(
                    Set.of("k", "m"),
                    keyed.requests().stream().map(RecordedRequest::model).collect(Collectors.toSet()));
            // Headers belong to the instance entry: m's entry adds X-Tenant, k's does not.
            assertEquals(Set.of("blue", "(none)"), values(keyed, "x-tenant"));
            assertEquals(Set.of("Bearer client-key"), values(open, "authorization"));
            assertEquals(Set.of("(none)"), values(open, "x-tenant"));
            String status = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create(router.baseUrl() + "/status"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString())
                    .body();
            assertFalse(status.contains("sk-instance-secret"), "the status must not show an upstream key");
        }
    }

    private static Set<String> values(StubBackend stub, String header) {
        return stub.requests().stream()
                .map(RecordedRequest::headers)
                .map(headers -> headers.getOrDefault(header, "(none)"))
                .collect(Collectors.toSet());
    }
}
