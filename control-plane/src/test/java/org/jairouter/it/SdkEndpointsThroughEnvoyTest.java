package org.jairouter.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.jairouter.fixtures.Conditions;
import org.jairouter.fixtures.RecordedRequest;
import org.jairouter.fixtures.StubBackend;
import org.jairouter.ir.ResponsesLookup;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The official Python SDKs on the other APIs of the configured models, through real Envoy with client keys
 * enforced: openai's completions and responses (JSON and streamed), audio translations and model retrieval,
 * anthropic's messages (JSON and streamed, its key in x-api-key). Each call reaches the stub on the API's own
 * path without the client's credentials, and /metrics counts exactly the tokens the answers reported, under
 * the API's operation name. Needs python3 and pip (the SDKs are installed from PyPI into
 * bench/.python-packages, ignored by git); skipped with the reason printed where either is missing.
 */
class SdkEndpointsThroughEnvoyTest {
    private static final String KEY = "sk-chat-and-speech-client-key";
    private static final String EMBEDDING_KEY = "sk-embedding-only-client-key";
    private static StubBackend chat;
    private static StubBackend speech;
    private static RouterHarness router;

    @BeforeAll
    static void start() throws Exception {
        String missing = PythonSdks.missing();
        if (missing != null) {
            System.out.println("SdkEndpointsThroughEnvoyTest skipped: " + missing);
        }
        Assumptions.assumeTrue(missing == null, missing);
        chat = StubBackend.start("qwen-vllm");
        speech = StubBackend.start("whisper-vllm");
        router = RouterHarness.startWithServer(
                """
                jairouter:
                  security:
                    enabled: true
                    api-key:
                      keys:
                        - {key-id: speaker, key-value: "%s", permissions: [chat, stt]}
                        - {key-id: embedder, key-value: "%s", permissions: [embedding]}
                """.formatted(KEY, EMBEDDING_KEY), """
                model:
                  services:
                    chat:
                      adapter: vllm
                      instances:
                        - {name: "qwen3:1.7B", base-url: "%s"}
                    stt:
                      adapter: vllm
                      instances:
                        - {name: whisper, base-url: "%s"}
                """.formatted(chat.baseUrl(), speech.baseUrl()));
        router.awaitEnvoy(clusters -> clusters.keySet().stream()
                        .filter(c -> !c.startsWith("jairouter") && !c.equals(ResponsesLookup.CLUSTER))
                        .count()
                == 2);
    }

    @AfterAll
    static void stop() throws IOException {
        if (router != null) {
            router.close();
        }
        if (chat != null) {
            chat.close();
            speech.close();
        }
    }

    @Test
    void eachApiReachesItsPathAndItsTokensAreCounted() throws Exception {
        JsonNode calls = runSdkCalls();

        assertEquals(
                List.of(
                        "/v1/completions",
                        "/v1/completions",
                        "/v1/responses",
                        "/v1/responses",
                        "/v1/messages",
                        "/v1/messages"),
                chat.requests().stream().map(RecordedRequest::path).toList());
        assertEquals(
                List.of("/v1/audio/translations"),
                speech.requests().stream().map(RecordedRequest::path).toList());
        for (RecordedRequest request : chat.requests()) {
            assertFalse(request.headers().containsKey("x-api-key"), "the client's key reached the instance");
            assertFalse(request.headers().containsKey("authorization"), "the client's key reached the instance");
        }
        for (String call : List.of(
                "completions", "completions_stream", "responses", "responses_stream", "messages", "messages_stream")) {
            assertEquals("Hello from qwen-vllm", calls.get(call).get(2).asText(), call);
        }
        assertTrue(calls.get("translations").get(0).asText().startsWith("whisper-vllm heard 64 bytes"));
        assertEquals("qwen3:1.7B", calls.get("retrieve").asText());
        assertEquals("[404,\"model_not_found\"]", calls.get("retrieve_missing").toString());
        assertEquals(
                "[403,\"permission_error\"]", calls.get("messages_other_key").toString());

        assertCounted(calls, "text_completion", "completions", "completions_stream");
        assertCounted(calls, "responses", "responses", "responses_stream");
        assertCounted(calls, "messages", "messages", "messages_stream");
    }

    /** The tokens /metrics counted under the operation are the sums the SDK calls' answers reported. */
    private static void assertCounted(JsonNode calls, String operation, String jsonCall, String streamCall)
            throws Exception {
        long input = calls.get(jsonCall).get(0).asLong()
                + calls.get(streamCall).get(0).asLong();
        long output = calls.get(jsonCall).get(1).asLong()
                + calls.get(streamCall).get(1).asLong();
        assertTrue(input > 0 && output > 0, "the stubs report usage");
        Conditions.await(
                operation + " tokens counted in /metrics",
                Duration.ofSeconds(20),
                () -> router.tokensCounted("input", operationLabel(operation)) == input
                        && router.tokensCounted("output", operationLabel(operation)) == output);
    }

    private static JsonNode runSdkCalls() throws Exception {
        return PythonSdks.run("sdk_calls.py", router.baseUrl().replaceAll("/v1$", ""), KEY, EMBEDDING_KEY);
    }

    private static String operationLabel(String operation) {
        return "gen_ai_operation_name=\"" + operation + "\"";
    }
}
