package org.jairouter.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.jairouter.fixtures.Conditions;
import org.jairouter.fixtures.RecordedRequest;
import org.jairouter.fixtures.StubBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Custom endpoints declared in the YAML alone, through real Envoy with client keys enforced: one per kind of
 * model source (the JSON body's model, another JSON field, a multipart field, a query parameter, a header),
 * each with two models on two stub servers that answer vLLM's classification API on the instances' own
 * paths. A request reaches the server of the model it names, at that instance's path (query kept); an unknown
 * model gets 404 model_not_found, a missing one 400 naming where it was expected; a key reaches the custom
 * services it is permitted; the answers' usage is counted under the service's name.
 */
class CustomEndpointsThroughEnvoyTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String ADMIN_KEY = "sk-every-service-client-key";
    private static final String CLASSIFIER_KEY = "sk-classify-only-client-key";
    private static final String BOUNDARY = "custom-endpoint-boundary";
    private static StubBackend first;
    private static StubBackend second;
    private static RouterHarness router;

    /** The custom services of the config, one per model source. */
    enum Source {
        BODY_MODEL("classify", "json"),
        BODY_FIELD("classify-field", "json:model_name"),
        FORM_FIELD("classify-form", "multipart:model_id"),
        QUERY("classify-query", "query:model"),
        HEADER("classify-header", "header:x-model");

        final String service;
        final String modelFrom;

        Source(String service, String modelFrom) {
            this.service = service;
            this.modelFrom = modelFrom;
        }

        String publicPath() {
            return "/v1/" + service;
        }

        /** Each instance's own path, which only the instance knows: the router must rewrite to it. */
        String instancePath(String server) {
            return "/" + server + "/" + service + "/classify";
        }

        String yaml(String firstUrl, String secondUrl) {
            return """
                        %s:
                          path: %s
                          model-from: "%s"
                          instances:
                            - {name: bert-a, base-url: "%s", path: %s}
                            - {name: bert-b, base-url: "%s", path: %s}
                    """.formatted(
                            service,
                            publicPath(),
                            modelFrom,
                            firstUrl,
                            instancePath("first"),
                            secondUrl,
                            instancePath("second"));
        }
    }

    @BeforeAll
    static void start() throws Exception {
        first = StubBackend.start("first");
        second = StubBackend.start("second");
        StringBuilder services = new StringBuilder("model:\n  services:\n");
        for (Source source : Source.values()) {
            services.append(source.yaml(first.baseUrl(), second.baseUrl()));
        }
        router = RouterHarness.startWithServer("""
                jairouter:
                  security:
                    enabled: true
                    api-key:
                      keys:
                        - {key-id: admin, key-value: "%s", permissions: [admin]}
                        - {key-id: classifier, key-value: "%s", permissions: [classify]}
                """.formatted(ADMIN_KEY, CLASSIFIER_KEY), services.toString());
        router.awaitEnvoy(clusters -> clusters.keySet().stream()
                        .filter(c -> !c.startsWith("jairouter"))
                        .count()
                == 2L * Source.values().length);
    }

    @AfterAll
    static void stop() throws IOException {
        if (router != null) {
            router.close();
        }
        if (first != null) {
            first.close();
            second.close();
        }
    }

    @ParameterizedTest
    @EnumSource(Source.class)
    void aRequestReachesTheInstanceOfItsModelAtThatInstancesPath(Source source) throws Exception {
        // Other tests send to these servers too: only what this request adds counts.
        List<RecordedRequest> secondBefore = received(second, source);
        List<RecordedRequest> firstBefore = received(first, source);

        HttpResponse<String> answer = send(source, "bert-b", ADMIN_KEY, "great stuff");

        assertEquals(200, answer.statusCode(), answer.body());
        assertEquals("second", answer.headers().firstValue("x-served-by").orElseThrow());
        List<RecordedRequest> added = received(second, source);
        added = added.subList(secondBefore.size(), added.size());
        assertEquals(1, added.size(), added.toString());
        String expected = source.instancePath("second") + (source == Source.QUERY ? "?model=bert-b" : "");
        assertEquals(expected, added.get(0).path());
        assertFalse(added.get(0).headers().containsKey("authorization"), "the client's key reached the instance");
        assertEquals(firstBefore, received(first, source), "the other model's instance was sent the request");
    }

    /** The requests a server received on its path of the source's service. */
    private static List<RecordedRequest> received(StubBackend server, Source source) {
        return server.requests().stream()
                .filter(r -> r.path().startsWith("/" + server.name() + "/" + source.service + "/"))
                .toList();
    }

    @ParameterizedTest
    @EnumSource(Source.class)
    void anUnknownOrMissingModelIsAnsweredByTheRouter(Source source) throws Exception {
        HttpResponse<String> unknown = send(source, "no-such-model", ADMIN_KEY, "text");
        HttpResponse<String> missing = send(source, null, ADMIN_KEY, "text");

        assertEquals(404, unknown.statusCode(), unknown.body());
        JsonNode notFound = JSON.readTree(unknown.body()).get("error");
        assertEquals("model_not_found", notFound.get("code").asText());
        assertTrue(notFound.get("message").asText().contains("'no-such-model'"), unknown.body());
        assertTrue(notFound.get("message").asText().contains(source.publicPath()), unknown.body());
        assertEquals(400, missing.statusCode(), missing.body());
        String name = source.modelFrom.contains(":")
                ? source.modelFrom.substring(source.modelFrom.indexOf(':') + 1)
                : "model";
        assertTrue(
                JSON.readTree(missing.body())
                        .get("error")
                        .get("message")
                        .asText()
                        .contains(name),
                missing.body());
    }

    @Test
    void aKeyReachesTheCustomServicesItIsPermitted() throws Exception {
        assertEquals(
                200, send(Source.BODY_MODEL, "bert-a", CLASSIFIER_KEY, "ok").statusCode());
        HttpResponse<String> other = send(Source.QUERY, "bert-a", CLASSIFIER_KEY, "ok");
        assertEquals(403, other.statusCode(), other.body());
        assertEquals(401, send(Source.HEADER, "bert-a", null, "ok").statusCode());
    }

    @Test
    void theStatusShowsAKeyItsCustomServices() throws Exception {
        JsonNode services =
                JSON.readTree(get("/v1/status", CLASSIFIER_KEY).body()).get("services");

        assertEquals(List.of("classify"), List.copyOf(iterable(services.fieldNames())));
        assertEquals("/v1/classify", services.get("classify").get("path").asText());
        assertEquals(
                "[\"bert-a\",\"bert-b\"]",
                services.get("classify").get("available_models").toString());
    }

    @Test
    void theAnswersUsageIsCountedUnderTheServicesName() throws Exception {
        long before = router.tokensCounted("input", "gen_ai_operation_name=\"classify-field\"");
        int tokens = 0;
        for (String text : List.of("one two three", "four five six seven eight", "nine")) {
            HttpResponse<String> answer = send(Source.BODY_FIELD, "bert-a", ADMIN_KEY, text);
            assertEquals(200, answer.statusCode(), answer.body());
            tokens += JSON.readTree(answer.body())
                    .get("usage")
                    .get("prompt_tokens")
                    .asInt();
        }
        long expected = before + tokens;

        assertTrue(tokens > 0);
        Conditions.await(
                "classify-field tokens counted in /metrics",
                Duration.ofSeconds(20),
                () -> router.tokensCounted("input", "gen_ai_operation_name=\"classify-field\"") == expected);
    }

    /** A classification request naming the model where the source says, with the key if any. */
    private static HttpResponse<String> send(Source source, String model, String key, String input)
            throws IOException, InterruptedException {
        String url = "http://127.0.0.1:" + URI.create(router.baseUrl()).getPort() + source.publicPath();
        HttpRequest.Builder request = HttpRequest.newBuilder();
        if (key != null) {
            request.header("authorization", "Bearer " + key);
        }
        String json = JSON.writeValueAsString(Map.of("input", input));
        switch (source) {
            case BODY_MODEL, BODY_FIELD -> {
                String field = source == Source.BODY_MODEL ? "model" : "model_name";
                String body = model == null ? json : JSON.writeValueAsString(Map.of(field, model, "input", input));
                request.uri(URI.create(url))
                        .header("content-type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body));
            }
            case FORM_FIELD ->
                request.uri(URI.create(url))
                        .header("content-type", "multipart/form-data; boundary=" + BOUNDARY)
                        .POST(HttpRequest.BodyPublishers.ofString(form(model, input), StandardCharsets.UTF_8));
            case QUERY ->
                request.uri(URI.create(model == null ? url : url + "?model=" + model))
                        .GET();
            case HEADER -> {
                request.uri(URI.create(url))
                        .header("content-type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(json));
                if (model != null) {
                    request.header("x-model", model);
                }
            }
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(String path, String key) throws IOException, InterruptedException {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                                + URI.create(router.baseUrl()).getPort() + path))
                        .header("authorization", "Bearer " + key)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static <T> List<T> iterable(java.util.Iterator<T> items) {
        List<T> list = new java.util.ArrayList<>();
        items.forEachRemaining(list::add);
        return list;
    }

    private static String form(String model, String input) {
        StringBuilder body = new StringBuilder();
        if (model != null) {
            body.append(part("model_id", model));
        }
        body.append(part("input", input));
        return body.append("--").append(BOUNDARY).append("--\r\n").toString();
    }

    private static String part(String name, String value) {
        return "--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n";
    }
}
