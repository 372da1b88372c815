package org.jairouter.it;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.jairouter.app.Router;
import org.jairouter.app.RouterOptions;
import org.jairouter.envoy.EnvoyBinary;

/**
 * A real router for a test: the control plane in this JVM, a real Envoy child process, every port
 * chosen free at bind time. The config given is the {@code model:} section; the harness adds a
 * loopback listener on a free port.
 */
final class RouterHarness implements AutoCloseable {
    private static final Duration READY_TIMEOUT = Duration.ofMinutes(3);
    private final Router router;
    private final Path workDir;
    private final int port;

    private RouterHarness(Router router, Path workDir, int port) {
        this.router = router;
        this.workDir = workDir;
        this.port = port;
    }

    static RouterHarness start(String modelYaml) throws Exception {
        return startWithServer("server:\n  address: 127.0.0.1\n  port: 0\n", modelYaml);
    }

    static RouterHarness startWithServer(String serverYaml, String modelYaml) throws Exception {
        Path workDir = Files.createTempDirectory("jairouter-it-");
        Path config = workDir.resolve("application.yml");
        Files.writeString(config, serverYaml + modelYaml);
        Router router = Router.start(new RouterOptions(config, "127.0.0.1", 0, "127.0.0.1", 0, true,
                Optional.empty(), EnvoyBinary.defaultInstallDir(), workDir, "warning", 2, "it-" + workDir.getFileName()));
        try {
            return new RouterHarness(router, workDir, router.awaitReady(READY_TIMEOUT));
        } catch (RuntimeException | InterruptedException e) {
            router.close();
            throw e;
        }
    }

    /** The router's OpenAI base URL, e.g. http://127.0.0.1:41234/v1. */
    String baseUrl() {
        return "http://127.0.0.1:" + port + "/v1";
    }

    /** The official SDK pointed at the router; no retries, so every failure shows. */
    OpenAIClient client() {
        return OpenAIOkHttpClient.builder().baseUrl(baseUrl()).apiKey("sk-test").maxRetries(0).build();
    }

    Router router() {
        return router;
    }

    @Override
    public void close() throws IOException {
        router.close();
        try (var files = Files.walk(workDir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
