package org.jairouter.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import org.jairouter.fixtures.Conditions;
import org.jairouter.fixtures.StubBackend;
import org.junit.jupiter.api.Test;

/**
 * "In force" means Envoy accepted it. A config that passes our validation but that Envoy rejects (here a
 * CA file that exists only where the control plane runs — or, as here, nowhere) shows as refused with
 * Envoy's own message, and the config Envoy last accepted stays named as in force, and keeps serving.
 */
class EnvoyRejectionStatusTest {
    @Test
    void aConfigEnvoyRejectsIsShownAsRefusedAndTheAcceptedOneStaysInForce() throws Exception {
        try (StubBackend backend = StubBackend.start("chat-1");
                RouterHarness router = RouterHarness.start(RouterHarness.oneChatInstance(backend.baseUrl()))) {
            String accepted = awaitStatus(
                            router,
                            status -> status.path("config")
                                    .path("in_force")
                                    .path("version")
                                    .asText()
                                    .equals(router.router().configVersion()))
                    .path("config")
                    .path("in_force")
                    .path("version")
                    .asText();

            router.replaceConfig(
                    RouterHarness.oneChatInstance(backend.baseUrl()) + """
                        - name: "secure"
                          base-url: "https://localhost:8443"
                  tls:
                    ca-file: /nonexistent/model-servers-ca.pem
                """.replace("                  tls:", "  tls:"));

            JsonNode status = awaitStatus(
                    router,
                    s -> s.path("config").path("published_state").asText().equals("refused by Envoy"));
            JsonNode config = status.path("config");
            assertEquals(accepted, config.path("in_force").path("version").asText(), config.toString());
            assertEquals(
                    router.router().configVersion(),
                    config.path("published").path("version").asText());
            String problem = config.path("last_refused").path("problems").get(0).asText();
            assertTrue(
                    problem.contains("refused the Cluster resources of config "
                            + router.router().configVersion()),
                    problem);
            assertTrue(problem.contains("/nonexistent/model-servers-ca.pem"), problem);
            JsonNode envoy = status.path("envoys").get(0);
            assertEquals(accepted, envoy.path("accepted_version").asText(), envoy.toString());
            assertEquals(
                    "Cluster",
                    envoy.path("last_rejection").path("resource_type").asText(),
                    envoy.toString());
            assertEquals("Hello from chat-1", router.chat("qwen3"));
        }
    }

    private interface StatusCondition {
        boolean holds(JsonNode status);
    }

    private static JsonNode awaitStatus(RouterHarness router, StatusCondition condition) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        URI uri = URI.create("http://127.0.0.1:" + router.router().statusPort() + "/v1/status");
        return Conditions.awaitValue("the status to show it", Duration.ofSeconds(30), () -> {
            JsonNode status = new ObjectMapper()
                    .readTree(http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString())
                            .body());
            return condition.holds(status) ? Optional.of(status) : Optional.empty();
        });
    }
}
