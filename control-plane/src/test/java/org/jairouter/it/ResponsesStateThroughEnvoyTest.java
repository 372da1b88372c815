package org.jairouter.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.jairouter.fixtures.RecordedRequest;
import org.jairouter.fixtures.StubBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Responses API's state through real Envoy, with the official Python openai SDK: two vLLM-like instances
 * of one model, each keeping the responses it made (as vLLM does). A conversation continued by
 * previous_response_id (JSON and streamed) reaches the instance that made the response it continues, and
 * retrieving a response by id finds it, whichever instance the request meets first; ids no instance stored
 * get vLLM's own 404, and cancelling a finished response vLLM's 400.
 */
class ResponsesStateThroughEnvoyTest {
    private static final String MODEL = "qwen3:1.7B";
    /** Each follow-up and retrieval meets the wrong instance first about every other time. */
    private static final int ROUNDS = 12;

    private static StubBackend first;
    private static StubBackend second;
    private static RouterHarness router;

    @BeforeAll
    static void start() throws Exception {
        String missing = PythonSdks.missing();
        Assumptions.assumeTrue(missing == null, missing);
        first = StubBackend.start("vllm-a");
        second = StubBackend.start("vllm-b");
        router = RouterHarness.start("""
                model:
                  services:
                    chat:
                      adapter: vllm
                      instances:
                        - {name: "%s", base-url: "%s"}
                        - {name: "%s", base-url: "%s"}
                """.formatted(MODEL, first.baseUrl(), MODEL, second.baseUrl()));
        router.awaitEnvoy(
                clusters -> clusters.getOrDefault("chat~qwen3_1_7B", Set.of()).size() == 2);
    }

    @AfterAll
    static void stop() throws Exception {
        if (router != null) {
            router.close();
        }
        for (StubBackend stub : new StubBackend[] {first, second}) {
            if (stub != null) {
                stub.close();
            }
        }
    }

    @Test
    void conversationsReachTheInstanceThatKeepsTheirResponses() throws Exception {
        JsonNode calls =
                PythonSdks.run("responses_state.py", router.baseUrl().replaceAll("/v1$", ""), MODEL, "" + ROUNDS);

        List<String> madeBy = calls.get("conversations").findValuesAsText("first");
        assertEquals(ROUNDS, madeBy.size());
        for (JsonNode conversation : calls.get("conversations")) {
            String maker = conversation.get("first").asText();
            assertEquals(maker, conversation.get("second").asText(), "the follow-up's instance: " + conversation);
            assertEquals(maker, conversation.get("streamed").asText(), "the streamed follow-up's: " + conversation);
            assertEquals(maker, conversation.get("retrieved").asText(), "the retrieval's: " + conversation);
            for (String same : List.of("second_previous", "streamed_previous", "retrieved_same")) {
                assertTrue(conversation.get(same).asBoolean(), same + ": " + conversation);
            }
        }
        long retrievalsSent = Stream.of(first, second)
                .flatMap(stub -> stub.requests().stream())
                .filter(request -> request.method().equals("GET") && isRetrieval(request))
                .count();
        assertTrue(retrievalsSent > ROUNDS, "some retrieval met the other instance first: " + retrievalsSent);

        assertEquals(
                "[404,{\"message\":\"Response with id 'resp_nowhere' not found.\",\"type\":\"invalid_request_error\","
                        + "\"param\":\"response_id\",\"code\":404}]",
                calls.get("unknown_previous").toString());
        assertEquals(calls.get("unknown_previous"), calls.get("unknown_retrieve"));
        assertEquals(calls.get("unknown_previous"), calls.get("unknown_cancel"));
        assertEquals(
                "[400,{\"message\":\"Cannot cancel a synchronous response.\",\"type\":\"invalid_request_error\","
                        + "\"param\":\"response_id\",\"code\":400}]",
                calls.get("finished_cancel").toString());
    }

    /** A retrieval of a response a conversation made (not of the id none stored). */
    private static boolean isRetrieval(RecordedRequest request) {
        return request.path().startsWith("/v1/responses/resp_")
                && !request.path().endsWith("resp_nowhere");
    }
}
