package org.jairouter.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.errors.PermissionDeniedException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.models.Model;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import okhttp3.OkHttpClient;
import org.jairouter.fixtures.Closing;
import org.jairouter.fixtures.RecordedRequest;
import org.jairouter.fixtures.StubBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Client keys enforced by a real Envoy, seen through the official SDK: who gets in, what each key may
 * call, from where, and that no client credential ever reaches an instance.
 */
class ClientKeysThroughEnvoyTest {
    static final String FULL = "sk-full-client-key-0001";
    static final String EMBEDDER = "sk-embedding-only-key-02";
    static final String SMALL = "sk-small-model-only-key3";
    static final String HOME = "sk-home-address-only-key";
    static final String EXPIRED = "sk-expired-client-key-05";
    static final String DISABLED = "sk-disabled-client-key-6";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static StubBackend chat;
    private static StubBackend embedding;
    private static RouterHarness router;

    static String keys(String extraKey) {
        return """
                jairouter:
                  security:
                    enabled: true
                    api-key:
                      keys:
                        - {key-id: full, key-value: "%s", permissions: [admin]}
                        - {key-id: embedder, key-value: "%s", permissions: [embedding]}
                        - {key-id: small-only, key-value: "%s", permissions: [chat], models: [small]}
                        - {key-id: home, key-value: "%s", allowed-ip-addresses: [127.0.0.2]}
                        - {key-id: expired, key-value: "%s", expires-at: "2020-01-01T00:00:00"}
                        - {key-id: disabled, key-value: "%s", enabled: false}
                """.formatted(FULL, EMBEDDER, SMALL, HOME, EXPIRED, DISABLED) + extraKey;
    }

    static String services() {
        return """
                model:
                  services:
                    chat:
                      instances:
                        - {name: small, base-url: "%s"}
                        - {name: large, base-url: "%s"}
                    embedding:
                      instances:
                        - {name: bge, base-url: "%s"}
                """.formatted(chat.baseUrl(), chat.baseUrl(), embedding.baseUrl());
    }

    @BeforeAll
    static void start() throws Exception {
        chat = StubBackend.start("chat");
        embedding = StubBackend.start("embedding");
        router = RouterHarness.start(keys("") + services());
    }

    @AfterAll
    static void stop() throws Exception {
        Closing.all(router, chat, embedding);
    }

    @Test
    void aMissingUnknownExpiredOrDisabledKeyIsUnauthorized() throws Exception {
        for (String key : List.of("sk-no-such-client-key-at-all", EXPIRED, DISABLED)) {
            assertThrows(UnauthorizedException.class, () -> chat(client(key), "small"), "key " + key);
        }
        HttpResponse<String> noHeader = get("/v1/models", null);
        assertEquals(401, noHeader.statusCode());
        assertEquals(
                "invalid_api_key",
                JSON.readTree(noHeader.body()).path("error").path("code").asText());
        assertEquals(401, get("/v1/status", null).statusCode());
    }

    @Test
    void aKeyIsReadFromTheConfiguredHeaderOrAsBearer() throws Exception {
        chat(client(FULL), "small");
        OpenAIClient byHeader = RouterHarness.clientBuilder(router.baseUrl())
                .apiKey("sk-ignored")
                .putHeader("X-API-Key", FULL)
                .build();
        chat(byHeader, "large");
        assertEquals(200, get("/v1/status", FULL).statusCode());
    }

    @Test
    void theAuthSchemeAndTheMediaTypeAreCaseInsensitive() throws Exception {
        for (String scheme : List.of("bearer", "BEARER", "bEaReR")) {
            HttpResponse<String> answer = post(scheme + " " + FULL, "application/json");
            assertEquals(200, answer.statusCode(), scheme + ": " + answer.body());
        }
        for (String mediaType : List.of("APPLICATION/JSON", "Application/Json; charset=UTF-8")) {
            HttpResponse<String> answer = post("Bearer " + FULL, mediaType);
            assertEquals(200, answer.statusCode(), mediaType + ": " + answer.body());
        }
        assertEquals(401, post("Basic " + FULL, "application/json").statusCode());
        assertEquals(
                401,
                post("bearer sk-no-such-client-key-at-all", "application/json").statusCode());
    }

    private static HttpResponse<String> post(String authorization, String contentType) throws Exception {
        return HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(router.baseUrl() + "/chat/completions"))
                                .header("Authorization", authorization)
                                .header("Content-Type", contentType)
                                .POST(HttpRequest.BodyPublishers.ofString(
                                        "{\"model\":\"small\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aKeyCallsOnlyItsServicesAndModels() {
        embed(client(EMBEDDER));
        assertThrows(PermissionDeniedException.class, () -> chat(client(EMBEDDER), "small"));
        chat(client(SMALL), "small");
        PermissionDeniedException refused =
                assertThrows(PermissionDeniedException.class, () -> chat(client(SMALL), "large"));
        assertTrue(refused.getMessage().contains("large"), refused.getMessage());
        assertThrows(PermissionDeniedException.class, () -> embed(client(SMALL)));
    }

    @Test
    void aClientCannotClaimAnotherKeysId() {
        OpenAIClient spoofing = RouterHarness.clientBuilder(router.baseUrl())
                .apiKey(SMALL)
                .putHeader("x-jairouter-key-id", "full")
                .build();
        assertThrows(PermissionDeniedException.class, () -> chat(spoofing, "large"));
    }

    @Test
    void modelsListsOnlyWhatTheKeyMayUse() {
        assertEquals(Set.of("small"), models(client(SMALL)));
        assertEquals(Set.of("bge"), models(client(EMBEDDER)));
        assertEquals(Set.of("small", "large", "bge"), models(client(FULL)));
    }

    @Test
    void aKeySeesOnlyItsOwnPartOfTheStatus() throws Exception {
        HttpResponse<String> status = get("/v1/status", EMBEDDER);
        assertEquals(200, status.statusCode());
        var view = JSON.readTree(status.body());
        assertEquals("embedder", view.path("key").path("id").asText());
        assertEquals(Set.of("embedding"), fieldNames(view.path("services")));
        assertEquals(
                "[\"bge\"]",
                view.path("services").path("embedding").path("available_models").toString());
        for (String hidden : List.of(
                "base_url",
                "instances",
                "config",
                "envoys",
                "full",
                "small-only",
                chat.baseUrl(),
                embedding.baseUrl())) {
            assertFalse(status.body().contains(hidden), hidden + " shown to a narrow key: " + status.body());
        }

        HttpResponse<String> otherService = get("/v1/chat/status", EMBEDDER);
        assertEquals(403, otherService.statusCode());
        assertEquals(
                "permission_denied",
                JSON.readTree(otherService.body()).path("error").path("code").asText());
        HttpResponse<String> ownService = get("/v1/embeddings/status", EMBEDDER);
        assertEquals(200, ownService.statusCode());
        assertFalse(ownService.body().contains(embedding.baseUrl()), ownService.body());
        assertEquals(
                "[\"small\"]",
                JSON.readTree(get("/v1/chat/status", SMALL).body())
                        .path("available_models")
                        .toString());

        // The status port (loopback) keeps the operator's full view.
        String full = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(
                                        "http://127.0.0.1:" + router.router().statusPort() + "/v1/status"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
        assertTrue(full.contains(chat.baseUrl()) && full.contains("small-only"), full);
    }

    private static Set<String> fieldNames(com.fasterxml.jackson.databind.JsonNode node) {
        Set<String> names = new java.util.TreeSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void aKeyWithAnAllowListIsRefusedFromOtherAddresses() throws Exception {
        assertThrows(PermissionDeniedException.class, () -> chat(client(HOME), "small"));
        OpenAIClient fromHome = RouterHarness.clientBuilder(router.baseUrl())
                .apiKey(HOME)
                .okHttpClient(new OkHttpClient.Builder()
                        .socketFactory(new BoundSocketFactory(InetAddress.getByName("127.0.0.2")))
                        .build())
                .build();
        chat(fromHome, "small");
    }

    @Test
    void noClientCredentialOrKeyIdReachesAnInstance() {
        chat(client(FULL), "small");
        embed(client(EMBEDDER));
        for (StubBackend stub : List.of(chat, embedding)) {
            Set<String> seen = stub.requests().stream()
                    .map(RecordedRequest::headers)
                    .flatMap(headers -> headers.keySet().stream())
                    .collect(Collectors.toSet());
            assertFalse(seen.contains("authorization"), stub.name() + " saw " + seen);
            assertFalse(seen.contains("x-api-key"), stub.name() + " saw " + seen);
            assertFalse(seen.contains("x-jairouter-key-id"), stub.name() + " saw " + seen);
        }
    }

    static OpenAIClient client(String key) {
        return RouterHarness.clientBuilder(router.baseUrl()).apiKey(key).build();
    }

    static void chat(OpenAIClient client, String model) {
        client.chat()
                .completions()
                .create(ChatCompletionCreateParams.builder()
                        .model(model)
                        .addUserMessage("hi")
                        .build());
    }

    private static void embed(OpenAIClient client) {
        client.embeddings()
                .create(EmbeddingCreateParams.builder().model("bge").input("hi").build());
    }

    private static Set<String> models(OpenAIClient client) {
        return StreamSupport.stream(client.models().list().autoPager().spliterator(), false)
                .map(Model::id)
                .collect(Collectors.toSet());
    }

    private static HttpResponse<String> get(String path, String key) throws Exception {
        HttpRequest.Builder request =
                HttpRequest.newBuilder(URI.create(router.baseUrl().replace("/v1", "") + path));
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
