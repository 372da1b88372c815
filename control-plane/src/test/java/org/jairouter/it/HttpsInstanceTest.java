package org.jairouter.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.openai.client.OpenAIClient;
import com.openai.errors.InternalServerException;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.jairouter.fixtures.StubBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * https base-urls: Envoy speaks TLS with SNI and verifies the certificate against the configured CA
 * bundle; a certificate the bundle does not vouch for is refused. One model may mix http and https.
 */
class HttpsInstanceTest {
    private static final char[] PASSWORD = "changeit".toCharArray();

    @TempDir
    Path dir;

    @Test
    void httpsInstancesAreVerifiedAndServedAlongsidePlainOnes() throws Exception {
        Path serverKeys = certificate("server");
        Path otherKeys = certificate("other");
        try (StubBackend secure = StubBackend.startHttps("secure", sslContext(serverKeys));
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
                    RouterHarness.start("model:\n  tls: {ca-file: \"" + pem(serverKeys) + "\"}\n" + services)) {
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
                    RouterHarness.start("model:\n  tls: {ca-file: \"" + pem(otherKeys) + "\"}\n" + services)) {
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

    /** A self-signed certificate for localhost, made with the JDK's keytool, in a PKCS#12 key store. */
    private Path certificate(String name) throws Exception {
        Path store = dir.resolve(name + ".p12");
        keytool(
                "-genkeypair",
                "-alias",
                "stub",
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-dname",
                "CN=localhost",
                // No CA basic constraint: BoringSSL refuses a CA certificate as a server's own.
                "-ext",
                "SAN=dns:localhost",
                "-validity",
                "2",
                "-storetype",
                "PKCS12",
                "-keystore",
                store.toString(),
                "-storepass",
                new String(PASSWORD));
        keytool(
                "-exportcert",
                "-rfc",
                "-alias",
                "stub",
                "-keystore",
                store.toString(),
                "-storepass",
                new String(PASSWORD),
                "-file",
                dir.resolve(name + ".pem").toString());
        return store;
    }

    private Path pem(Path store) {
        return dir.resolve(store.getFileName().toString().replace(".p12", ".pem"));
    }

    private static void keytool(String... arguments) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (!process.waitFor(1, TimeUnit.MINUTES) || process.exitValue() != 0) {
            throw new IllegalStateException("keytool failed: " + output);
        }
    }

    private static SSLContext sslContext(Path store) throws Exception {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            keys.load(in, PASSWORD);
        }
        KeyManagerFactory managers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        managers.init(keys, PASSWORD);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(managers.getKeyManagers(), null, null);
        return context;
    }
}
