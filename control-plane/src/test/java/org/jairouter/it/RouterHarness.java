package org.jairouter.it;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.jairouter.app.Router;
import org.jairouter.app.RouterOptions;
import org.jairouter.envoy.EnvoyAdmin;
import org.jairouter.envoy.HostStatus;
import org.jairouter.fixtures.Conditions;

/**
 * A real router for a test: the control plane in this JVM, a real Envoy child process, every port
 * chosen free at bind time. The config given is the {@code model:} section; the harness adds a
 * loopback listener on a free port.
 */
final class RouterHarness implements AutoCloseable {
    private static final Duration READY_TIMEOUT = Duration.ofMinutes(3);
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private final Router router;
    private final Path config;
    private final Path workDir;
    private final String serverYaml;
    private final int port;
    private final OpenAIClient client;

    private RouterHarness(Router router, Path config, Path workDir, String serverYaml, int port) {
        this.router = router;
        this.config = config;
        this.workDir = workDir;
        this.serverYaml = serverYaml;
        this.port = port;
        this.client = clientBuilder(baseUrl()).build();
    }

    /**
     * The official SDK's builder for a client of a router at {@code baseUrl}: a placeholder key (set
     * another with apiKey) and no retries, so every failure shows.
     */
    static OpenAIOkHttpClient.Builder clientBuilder(String baseUrl) {
        return OpenAIOkHttpClient.builder().baseUrl(baseUrl).apiKey("sk-test").maxRetries(0);
    }

    /** The model section of the simplest router: one chat instance, model {@code qwen3}, at {@code baseUrl}. */
    static String oneChatInstance(String baseUrl) {
        return """
                model:
                  services:
                    chat:
                      instances:
                        - name: "qwen3"
                          base-url: "%s"
                """.formatted(baseUrl);
    }

    static RouterHarness start(String modelYaml) throws Exception {
        return startWithServer("server:\n  address: 127.0.0.1\n  port: 0\n", modelYaml);
    }

    static RouterHarness startWithServer(String serverYaml, String modelYaml) throws Exception {
        Path workDir = Files.createTempDirectory("jairouter-it-");
        Path config = Files.writeString(workDir.resolve("application.yml"), serverYaml + modelYaml);
        return start(config, workDir, serverYaml);
    }

    /** A router on a config file the test manages itself (it must put the listener on a free port). */
    static RouterHarness startWithConfigFile(Path config) throws Exception {
        return start(config, Files.createTempDirectory("jairouter-it-"), "");
    }

    private static RouterHarness start(Path config, Path workDir, String serverYaml) throws Exception {
        Router router = Router.start(RouterOptions.builder(config, workDir, "it-" + workDir.getFileName())
                .concurrency(2)
                .build());
        try {
            return new RouterHarness(router, config, workDir, serverYaml, router.awaitReady(READY_TIMEOUT));
        } catch (RuntimeException | InterruptedException e) {
            router.close();
            throw e;
        }
    }

    /** The router's OpenAI base URL, e.g. http://127.0.0.1:41234/v1. */
    String baseUrl() {
        return "http://127.0.0.1:" + port + "/v1";
    }

    /**
     * The official SDK pointed at the router; no retries, so every failure shows. One client for the
     * harness's life, as an application keeps one (its connection pool and threads are not made per call).
     */
    OpenAIClient client() {
        return client;
    }

    /** The answer of one chat completion for the model, through the router. */
    String chat(String model) {
        return chat(client, model);
    }

    /** The answer of one chat completion for the model, through the client's router. */
    static String chat(OpenAIClient client, String model) {
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

    Router router() {
        return router;
    }

    /** Where the router keeps its state (Envoy's bootstrap, the budget ledger). */
    Path workDir() {
        return workDir;
    }

    Path configFile() {
        return config;
    }

    /**
     * Replaces the config's model section the way editors save: write a new file, rename it over.
     *
     * @return false if the file already had exactly that content (the router will see no change)
     */
    boolean replaceConfig(String modelYaml) throws IOException {
        String text = serverYaml + modelYaml;
        if (Files.readString(configFile()).equals(text)) {
            return false;
        }
        Path next = Files.writeString(config.resolveSibling(config.getFileName() + ".tmp"), text);
        Files.move(next, configFile(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return true;
    }

    /** The control plane's Prometheus text: GET /metrics on its status port. */
    String metrics() throws IOException, InterruptedException {
        return HTTP.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + router.statusPort() + "/metrics"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
    }

    /**
     * The tokens of this type ("input" or "output") counted in /metrics over every series whose labels
     * hold each of {@code labels} (e.g. {@code gen_ai_operation_name="chat"}); -1 when interrupted.
     */
    long tokensCounted(String type, String... labels) {
        return counted("gen_ai_client_token_usage_sum{", "gen_ai_token_type=\"" + type + "\"", labels);
    }

    /**
     * The requests of this code class ("2xx", "4xx"...) counted in /metrics over every series whose labels
     * hold each of {@code labels}; -1 when interrupted.
     */
    long requestsCounted(String codeClass, String... labels) {
        return counted("jairouter_requests_total{", "code_class=\"" + codeClass + "\"", labels);
    }

    private long counted(String series, String label, String... labels) {
        try {
            return metrics()
                    .lines()
                    .filter(line -> line.startsWith(series)
                            && line.contains(label)
                            && Arrays.stream(labels).allMatch(line::contains))
                    .mapToLong(line -> (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                    .sum();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    EnvoyAdmin admin() {
        return new EnvoyAdmin(router.envoyAdminAddress().orElseThrow());
    }

    /**
     * Waits until Envoy's clusters and endpoints satisfy the condition and every endpoint has passed
     * its health check: a new instance gets traffic once its first check (at once on arrival) passes.
     */
    void awaitEnvoy(Predicate<Map<String, Set<String>>> condition) throws Exception {
        AtomicReference<Map<String, Set<String>>> seen = new AtomicReference<>(Map.of());
        try {
            Conditions.awaitValue("Envoy getting the expected config", Duration.ofSeconds(30), () -> {
                seen.set(admin().clusterEndpoints());
                boolean ready = condition.test(seen.get())
                        && admin().hostStatuses().stream().allMatch(HostStatus::healthy);
                return ready ? Optional.of(seen.get()) : Optional.empty();
            });
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; it has " + seen.get(), e);
        }
    }

    /**
     * Stops the control plane and its Envoy, then starts both again on the same config file and work
     * folder, as an operator's restart does; this harness is done with, the returned one takes over.
     */
    RouterHarness restarted() throws Exception {
        client.close();
        router.close();
        return start(config, workDir, serverYaml);
    }

    @Override
    public void close() throws IOException {
        client.close();
        router.close();
        try (var files = Files.walk(workDir)) {
            files.sorted(java.util.Comparator.reverseOrder())
                    .forEach(p -> p.toFile().delete());
        }
    }
}
