package org.jairouter.it;

import static org.jairouter.it.KeyedChats.chat;
import static org.jairouter.it.KeyedChats.stream;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.errors.OpenAIServiceException;
import com.openai.errors.PermissionDeniedException;
import com.openai.errors.RateLimitException;
import com.openai.errors.UnauthorizedException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.jairouter.fixtures.Conditions;
import org.jairouter.fixtures.RecordedRequest;
import org.jairouter.fixtures.StubBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Key values never leave the router: traffic with valid, wrong, expired, narrow, spent and revoked keys
 * goes through a real control-plane process and its Envoy (at info level), then everything they wrote or
 * answered (the process output with Envoy's, the access log, every file in the work folder, the status, the
 * metrics, every error reply with its headers) is searched for each key value. The instance never sees
 * one either. The reload that revokes a key names it, by id, and nothing else.
 */
class KeyValuesNeverLeakTest {
    private static final String GOOD = "sk-leak-good-value-4a1f9e";
    private static final String REVOKED = "sk-leak-revoked-value-7c2d0b";
    private static final String EXPIRED = "sk-leak-expired-value-3e8a61";
    private static final String NARROW = "sk-leak-narrow-value-9b5c2f";
    private static final String SPENDER = "sk-leak-spender-value-1d7e44";
    private static final String WRONG = "sk-leak-wrong-value-6f0a83";
    private static final List<String> VALUES = List.of(GOOD, REVOKED, EXPIRED, NARROW, SPENDER, WRONG);
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    private final List<String> replies = new ArrayList<>();

    private static String config(int port, Path accessLog, StubBackend stub, boolean withRevoked) {
        return """
                server: {address: 127.0.0.1, port: %d}
                monitoring:
                  access-log: %s
                jairouter:
                  security:
                    enabled: true
                    api-key:
                      keys:
                        - {key-id: good, key-value: "%s"}
                        - {key-id: expired, key-value: "%s", expires-at: "2020-01-01T00:00:00"}
                        - {key-id: narrow, key-value: "%s", permissions: [embedding]}
                        - {key-id: spender, key-value: "%s", daily-request-limit: 1}
                """.formatted(port, accessLog, GOOD, EXPIRED, NARROW, SPENDER)
                + (withRevoked ? "        - {key-id: revoked, key-value: \"%s\"}\n".formatted(REVOKED) : "")
                + """
                model:
                  services:
                    chat:
                      instances: [{name: m, base-url: "%s"}]
                """.formatted(stub.baseUrl());
    }

    @Test
    void noKeyValueAppearsInAnythingTheRouterWritesOrAnInstanceSees() throws Exception {
        try (StubBackend stub = StubBackend.start("leak")) {
            int port = ControlPlaneProcess.freePort();
            Path accessLog = dir.resolve("access.log");
            Path config = dir.resolve("application.yml");
            Files.writeString(config, config(port, accessLog, stub, true));
            ControlPlaneProcess process = ControlPlaneProcess.on(dir, config, "--envoy-log-level", "info");
            String baseUrl = "http://127.0.0.1:" + port + "/v1";
            process.start("run");
            List<String> statuses = new ArrayList<>();
            String metrics;
            try {
                Conditions.awaitValue("the router serving", Duration.ofMinutes(3), () -> answered(baseUrl, GOOD));
                stream(baseUrl, GOOD);
                unauthorized(baseUrl, WRONG);
                unauthorized(baseUrl, EXPIRED);
                remember(assertThrows(PermissionDeniedException.class, () -> chat(baseUrl, NARROW)));
                chat(baseUrl, SPENDER);
                Conditions.awaitValue("the spent key refused", Duration.ofSeconds(10), () -> refused(baseUrl));
                chat(baseUrl, REVOKED);
                Path next = Files.writeString(dir.resolve("next.yml"), config(port, accessLog, stub, false));
                Files.move(next, config, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                Conditions.awaitValue("the revoked key refused", Duration.ofSeconds(10), () -> {
                    try {
                        chat(baseUrl, REVOKED);
                        return Optional.empty();
                    } catch (PermissionDeniedException refusedByTheNewRoutesFirst) {
                        // The routes (RDS) may be in force a moment before the listener (LDS) that no
                        // longer knows the key; the 401 follows. (Its body is checked with the others.)
                        remember(refusedByTheNewRoutesFirst);
                        return Optional.empty();
                    } catch (UnauthorizedException e) {
                        return Optional.of(remember(e));
                    }
                });
                for (String key : List.of(WRONG, REVOKED)) {
                    replies.add(raw(baseUrl + "/chat/completions", Map.of("Authorization", "Bearer " + key)));
                    replies.add(raw(baseUrl + "/models", Map.of("X-API-Key", key)));
                }
                statuses.add(raw(baseUrl + "/status", Map.of("Authorization", "Bearer " + GOOD)));
                String statusPort = "http://127.0.0.1:" + process.statusPort();
                statuses.add(raw(statusPort + "/v1/status", Map.of()));
                // Envoy sends its records at least every second; the metrics then hold every request.
                metrics = Conditions.awaitValue("every answer in the metrics", Duration.ofSeconds(10), () -> {
                    String now = raw(statusPort + "/metrics", Map.of());
                    return KeyBudgetsThroughEnvoyTest.sum(now, "jairouter_requests_total{", "key_id=\"") >= 5
                            ? Optional.of(now)
                            : Optional.empty();
                });
            } finally {
                process.stop();
            }

            String log = process.log("run");
            assertTrue(log.contains("-key revoked"), "the reload does not name the revoked key:\n" + log);
            assertFalse(log.contains("+key expired"), "an expired key shown as added:\n" + log);
            assertTrue(log.contains("[info]"), "Envoy's info log is not in the output");
            Map<String, String> written = new java.util.LinkedHashMap<>();
            written.put("the process output", log);
            written.put("the access log", Files.readString(accessLog));
            try (Stream<Path> files = Files.walk(process.workDir())) {
                for (Path file : files.filter(Files::isRegularFile).toList()) {
                    written.put(file.toString(), Files.readString(file));
                }
            }
            written.put("the status", String.join("\n", statuses));
            written.put("the metrics", metrics);
            written.put("the error replies", String.join("\n", replies));
            written.put("what the instance saw", seenBy(stub));
            assertTrue(written.get("the access log").contains("\"key_id\":\"spender\""), written.get("the access log"));
            for (Map.Entry<String, String> text : written.entrySet()) {
                for (String value : VALUES) {
                    assertFalse(text.getValue().contains(value), "a key value in " + text.getKey());
                }
            }
        }
    }

    private static Optional<Boolean> answered(String baseUrl, String key) {
        try {
            chat(baseUrl, key);
            return Optional.of(true);
        } catch (RuntimeException notYet) {
            return Optional.empty();
        }
    }

    private Optional<RateLimitException> refused(String baseUrl) {
        try {
            chat(baseUrl, SPENDER);
            return Optional.empty();
        } catch (RateLimitException e) {
            assertEquals(Optional.of("insufficient_quota"), e.code());
            return Optional.of(remember(e));
        }
    }

    private void unauthorized(String baseUrl, String key) {
        remember(assertThrows(UnauthorizedException.class, () -> chat(baseUrl, key)));
    }

    /** The SDK's error carries the reply's body and headers. */
    private <E extends OpenAIServiceException> E remember(E error) {
        replies.add(error.getMessage() + " " + error.headers() + " " + error.body());
        return error;
    }

    private static String raw(String url, Map<String, String> headers) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url));
        headers.forEach(request::header);
        HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        return response.statusCode() + " " + response.headers().map() + " " + response.body();
    }

    private static String seenBy(StubBackend stub) {
        StringBuilder seen = new StringBuilder();
        for (RecordedRequest request : stub.requests()) {
            seen.append(request.path()).append(' ').append(request.headers()).append('\n');
        }
        return seen.toString();
    }
}
