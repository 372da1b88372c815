package org.jairouter.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.openai.client.OpenAIClient;
import com.openai.errors.InternalServerException;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.jairouter.fixtures.StubBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * https base-urls: Envoy speaks TLS with SNI and verifies the certificate against the configured CA
 * bundle; a certificate the bundle does not vouch for is refused. One model may mix http and https.
 */
class HttpsInstanceTest {
    @TempDir
    Path dir;

    @Test
    void httpsInstancesAreVerifiedAndServedAlongsidePlainOnes() throws Exception {
        SelfSignedCertificate server = SelfSignedCertificate.create(dir, "server");
        SelfSignedCertificate other = SelfSignedCertificate.create(dir, "other");
        try (StubBackend secure = StubBackend.startHttps("secure", server.serverContext());
                StubBackend plain = StubBackend.start("plain")) {
            String services = """
                      services:
                        chat:
                          load-balance: {type: round-robin}
                          instances:
                            - {name: mixed, base-url: "%s"}
                            - {name: mixed, base-url: "%s"}
                            - {name: secure-only, base-url: "%s"}
                    """.formatted(secure.baseUrl(), plain.baseUrl(), secure.baseUrl());
            try (RouterHarness router =
                    RouterHarness.start("model:\n  tls: {ca-file: \"" + server.pem() + "\"}\n" + services)) {
                OpenAIClient client = router.client();

                assertEquals("Hello from secure", chat(client, "secure-only"));
                assertEquals(
                        Set.of("Hello from secure", "Hello from plain"),
                        List.of(1, 2, 3, 4).stream()
                                .map(i -> chat(client, "mixed"))
                                .collect(Collectors.toSet()));
                assertEquals(
                        "localhost:" + secure.port(),
                        secure.requests().get(0).headers().get("host"));
            }
            try (RouterHarness wrongCa =
                    RouterHarness.start("model:\n  tls: {ca-file: \"" + other.pem() + "\"}\n" + services)) {
                assertThrows(InternalServerException.class, () -> chat(wrongCa.client(), "secure-only"));
            }
        }
    }

    private static String chat(OpenAIClient client, String model) {
        return client.chat()
                .completions()
                .create(ChatCompletionCreateParams.builder()
                        .model(model)
                        .addUserMessage("hi")
                        .build())
                .choices()
                .get(0)
                .message()
                .content()
                .orElseThrow();
    }
}
