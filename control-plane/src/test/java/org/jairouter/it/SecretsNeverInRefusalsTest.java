package org.jairouter.it;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jairouter.fixtures.Conditions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Edits that are refused while a secret sits on the broken line, or in the broken value, never show the
 * secret: not in the log, not in the status's last refused edit (either port), whether the YAML parser
 * or the validator refused them. Instance api-keys and headers and client key values alike; each refusal
 * still names the file, the line and the key.
 */
class SecretsNeverInRefusalsTest {
    private static final String CLIENT_KEY = "sk-refusal-test-client-key-0001";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    private static String config(int port, String instanceExtra, String keyExtra, String tail) {
        return """
                server: {address: 127.0.0.1, port: %d}
                jairouter:
                  security:
                    enabled: true
                    api-key:
                      keys:
                        - {key-id: good, key-value: "%s"}
                %s
                model:
                  services:
                    chat:
                      instances:
                        - name: m
                          base-url: "http://127.0.0.1:9"
                %s
                """.formatted(port, CLIENT_KEY, keyExtra, instanceExtra) + tail;
    }

    @Test
    void refusedEditsNeverShowTheSecretsOnTheirBrokenLines() throws Exception {
        int port = ControlPlaneProcess.freePort();
        Path config = dir.resolve("application.yml");
        Files.writeString(config, config(port, "", "", ""));
        // Each edit breaks a line or value that holds a secret, in one of the ways the parser or the validator
        // quote what they read; the secret is named after its case.
        Map<String, String> edits = new LinkedHashMap<>();
        edits.put("InstanceAliasSecret1", config(port, "          api-key: *InstanceAliasSecret1", "", ""));
        edits.put(
                "ClientAliasSecret2",
                config(port, "", "        - key-id: other\n          key-value: *ClientAliasSecret2", ""));
        edits.put("FlowAliasSecret3", config(port, "", "        - {key-id: flow, key-value: *FlowAliasSecret3}", ""));
        edits.put(
                "HeaderAliasSecret4",
                config(port, "          headers:\n            X-Token: *HeaderAliasSecret4", "", ""));
        edits.put("HeadersScalarSecret5", config(port, "          headers: HeadersScalarSecret5", "", ""));
        edits.put("UnclosedQuoteSecret6", config(port, "          api-key: \"UnclosedQuoteSecret6", "", ""));
        edits.put("IndentSecret7", config(port, "          api-key: IndentSecret7\n            more: x", "", ""));
        edits.put("TagAliasSecret8", config(port, "", "        - {key-id: t, key-value: !x *TagAliasSecret8}", ""));
        ControlPlaneProcess process = ControlPlaneProcess.on(dir, config);
        List<String> seen = new ArrayList<>();
        process.start("run");
        try {
            String status = "http://127.0.0.1:" + process.statusPort() + "/v1/status";
            Conditions.awaitValue("the router serving", Duration.ofMinutes(3), () -> inForce(status));
            String lastRefusedAt = "";
            for (Map.Entry<String, String> edit : edits.entrySet()) {
                Path next = Files.writeString(dir.resolve("next.yml"), edit.getValue());
                Files.move(next, config, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                String previous = lastRefusedAt;
                JsonNode refused = Conditions.awaitValue(
                        "the edit with " + edit.getKey() + " refused", Duration.ofSeconds(30), () -> {
                            JsonNode last = get(status, null).path("config").path("last_refused");
                            return last.isObject() && !last.path("at").asText().equals(previous)
                                    ? Optional.of(last)
                                    : Optional.empty();
                        });
                lastRefusedAt = refused.path("at").asText();
                String problems = refused.path("problems").toString();
                assertTrue(problems.contains(config + ":"), "no file and line: " + problems);
                assertTrue(
                        problems.contains("api-key") || problems.contains("key-value") || problems.contains("headers"),
                        "no key named: " + problems);
                seen.add(problems);
                seen.add(get("http://127.0.0.1:" + port + "/v1/status", CLIENT_KEY)
                        .toString());
            }
        } finally {
            process.stop();
        }
        seen.add(process.log("run"));
        String everything = String.join("\n", seen);
        for (String secret : edits.keySet()) {
            assertFalse(everything.contains(secret), secret + " shown:\n" + everything);
        }
    }

    private static Optional<Boolean> inForce(String status) {
        try {
            return get(status, null).path("config").path("in_force").isObject() ? Optional.of(true) : Optional.empty();
        } catch (Exception notYet) {
            return Optional.empty();
        }
    }

    private static JsonNode get(String url, String key) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url));
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
        return JSON.readTree(
                HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString()).body());
    }
}
