package org.jairouter.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.errors.OpenAIServiceException;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.embeddings.EmbeddingCreateParams;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.jairouter.fixtures.Closing;
import org.jairouter.fixtures.Conditions;
import org.jairouter.fixtures.StubBackend;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dashboard at {@code /} on the status port, rendered by headless Chromium against a live router:
 * every configured service, model and instance with its health, and traffic figures computed from
 * {@code /metrics} scrapes. Skipped, with the reason logged, where no {@code chromium} is on PATH.
 */
class DashboardInBrowserTest {
    private static final Logger LOG = LoggerFactory.getLogger(DashboardInBrowserTest.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Duration PAGE_TIMEOUT = Duration.ofMinutes(2);
    private HeadlessChromium chromium;
    private StubBackend qwenOne;
    private StubBackend qwenTwo;
    private StubBackend embedder;
    private String deadInstance;
    private String modelYaml;
    private RouterHarness router;

    @BeforeEach
    void start() throws Exception {
        Optional<HeadlessChromium> found = HeadlessChromium.onPath();
        if (found.isEmpty()) {
            LOG.warn(
                    "{} SKIPPED: no chromium on PATH (Debian: apt-get install chromium)",
                    getClass().getSimpleName());
        }
        assumeTrue(found.isPresent(), "no chromium on PATH (Debian: apt-get install chromium)");
        chromium = found.get();
        qwenOne = StubBackend.start("qwen-1");
        qwenTwo = StubBackend.start("qwen-2");
        embedder = StubBackend.start("bge");
        try (ServerSocket closed = new ServerSocket(0)) {
            deadInstance = "http://127.0.0.1:" + closed.getLocalPort();
        }
        modelYaml = """
                model:
                  health-check: {interval: 500ms, timeout: 400ms, unhealthy-threshold: 1, healthy-threshold: 1}
                  services:
                    chat:
                      load-balance: {type: round-robin}
                      instances:
                        - {name: qwen3, base-url: "%s"}
                        - {name: qwen3, base-url: "%s"}
                        - {name: llama3, base-url: "%s"}
                        - {name: llama3, base-url: "%s", status: inactive}
                    embedding:
                      instances:
                        - {name: bge-m3, base-url: "%s"}
                """.formatted(
                        qwenOne.baseUrl(), qwenTwo.baseUrl(), deadInstance, embedder.baseUrl(), embedder.baseUrl());
        router = RouterHarness.start(modelYaml);
        awaitStatus(
                "the dead instance unhealthy, the others healthy",
                instances -> instances.stream()
                        .filter(i -> i.path("status").asText().equals("active"))
                        .allMatch(i -> i.path("healthy").asBoolean()
                                == !i.path("base_url").asText().equals(deadInstance)));
    }

    @AfterEach
    void stop() throws Exception {
        Closing.all(router, qwenOne, qwenTwo, embedder);
    }

    @Test
    void everyServiceModelAndInstanceIsShownWithItsHealth() throws Exception {
        Map<Row, String> expected = Map.of(
                new Row("chat", "qwen3", null), "✓ 2 of 2 healthy",
                new Row("chat", "qwen3", qwenOne.baseUrl()), "✓ healthy",
                new Row("chat", "qwen3", qwenTwo.baseUrl()), "✓ healthy",
                new Row("chat", "llama3", null), "✗ 0 of 2 healthy",
                new Row("chat", "llama3", deadInstance), "✗ unhealthy: failed active health check",
                new Row("chat", "llama3", embedder.baseUrl()), "○ inactive",
                new Row("embedding", "bge-m3", null), "✓ 1 of 1 healthy",
                new Row("embedding", "bge-m3", embedder.baseUrl()), "✓ healthy");

        Document page = pageWhere(
                statusPage(),
                "every row",
                p -> expected.keySet().stream()
                        .allMatch(row -> row.cell(p, "Health").isPresent()));

        expected.forEach(
                (row, health) -> assertEquals(health, row.cell(page, "Health").orElseThrow(), row::toString));
    }

    /** Figures from known scrapes: the page computes quantiles and shares exactly as PromQL would. */
    @Test
    void trafficFiguresComeFromTheMetricsScrapes() throws Exception {
        List<SteadyTraffic> traffic = List.of(
                new SteadyTraffic("chat", "chat", "qwen3", qwenOne.baseUrl(), 18, 2, 3),
                new SteadyTraffic("chat", "chat", "qwen3", qwenTwo.baseUrl(), 8, 0, 1),
                new SteadyTraffic("embedding", "embeddings", "bge-m3", embedder.baseUrl(), 30, 0, 0));
        Row qwenOneRow = new Row("chat", "qwen3", qwenOne.baseUrl());
        Row qwenRow = new Row("chat", "qwen3", null);
        try (ScriptedMetricsFront front = ScriptedMetricsFront.start(
                router.router().statusPort(), scrape -> Optional.of(SteadyTraffic.text(traffic, scrape)))) {
            Document page = pageWhere(
                    front.url(),
                    "figures from two scrapes",
                    p -> qwenOneRow
                            .cell(p, "TTFT p50")
                            .filter(shown -> !shown.equals("—"))
                            .isPresent());

            assertEquals("3", qwenOneRow.cell(page, "In flight").orElseThrow());
            assertEquals("4", qwenRow.cell(page, "In flight").orElseThrow());
            assertEquals("10.0 %", qwenOneRow.cell(page, "Errors (5xx)").orElseThrow());
            assertEquals("7.1 %", qwenRow.cell(page, "Errors (5xx)").orElseThrow(), "2 of 28 requests");
            assertEquals("250 ms", qwenOneRow.cell(page, "TTFT p50").orElseThrow());
            assertEquals("475 ms", qwenRow.cell(page, "TTFT p95").orElseThrow());
            double requestsPerSecond =
                    Double.parseDouble(qwenOneRow.cell(page, "Requests/s").orElseThrow());
            double outputPerSecond =
                    Double.parseDouble(qwenOneRow.cell(page, "Tokens/s out").orElseThrow());
            assertTrue(requestsPerSecond > 0, "requests/s " + requestsPerSecond);
            double outputPerRequest = SteadyTraffic.OUTPUT_TOKENS_PER_REQUEST * 18.0 / 20;
            assertEquals(
                    outputPerRequest,
                    outputPerSecond / requestsPerSecond,
                    outputPerRequest / 10,
                    "output tokens per request (both rates rounded for display)");
            assertTrue(page.text().contains("3 applied, 1 refused"), page.text());
        }
    }

    @Test
    void withoutMetricsThePageSaysSoAndStillShowsHealth() throws Exception {
        Row qwenOneRow = new Row("chat", "qwen3", qwenOne.baseUrl());
        try (ScriptedMetricsFront front =
                ScriptedMetricsFront.start(router.router().statusPort(), scrape -> Optional.empty())) {
            Document page = pageWhere(
                    front.url(), "the row", p -> qwenOneRow.cell(p, "Health").isPresent());

            assertEquals("✓ healthy", qwenOneRow.cell(page, "Health").orElseThrow());
            assertEquals("—", qwenOneRow.cell(page, "Requests/s").orElseThrow());
            String state = page.getElementById("state").text();
            assertTrue(state.contains("Metrics unavailable (/metrics answered 404)"), state);
        }
    }

    /**
     * docs/dashboard.png: the page while traffic flows, written to target/dashboard.png. Numbers come
     * from the router's own /metrics where it serves one, else from a made-up steady traffic script.
     */
    @Test
    void screenshot() throws Exception {
        String refusedEdit = modelYaml.replaceFirst("\\{name: qwen3, ", "{name: qwen3, weight: -5, ");
        router.replaceConfig(refusedEdit);
        Conditions.await(
                "the edit refused",
                Duration.ofSeconds(30),
                () -> router.router().configStatus().lastRefused().isPresent());
        List<SteadyTraffic> traffic = List.of(
                new SteadyTraffic("chat", "chat", "qwen3", qwenOne.baseUrl(), 36, 0, 3),
                new SteadyTraffic("chat", "chat", "qwen3", qwenTwo.baseUrl(), 34, 1, 2),
                new SteadyTraffic("embedding", "embeddings", "bge-m3", embedder.baseUrl(), 90, 0, 1));
        boolean realMetrics = HTTP.send(
                                HttpRequest.newBuilder(URI.create(statusPage() + "metrics"))
                                        .build(),
                                HttpResponse.BodyHandlers.discarding())
                        .statusCode()
                == 200;
        Path png = Path.of(System.getProperty("basedir", "")).toAbsolutePath().resolve("target/dashboard.png");
        try (BackgroundTraffic flowing = BackgroundTraffic.start(router.client());
                ScriptedMetricsFront front = ScriptedMetricsFront.start(
                        router.router().statusPort(), scrape -> Optional.of(SteadyTraffic.text(traffic, scrape)))) {
            Files.deleteIfExists(png);
            Conditions.await(
                    "traffic on every healthy instance",
                    Duration.ofSeconds(30),
                    () -> Stream.of(qwenOne, qwenTwo, embedder).allMatch(stub -> stub.requestCount() > 0));
            chromium.screenshot(realMetrics ? statusPage() : front.url(), png, 1280, 940);
        }
        LOG.info("Screenshot of the dashboard ({} metrics) in {}", realMetrics ? "the router's" : "scripted", png);
    }

    private String statusPage() {
        return "http://127.0.0.1:" + router.router().statusPort() + "/";
    }

    /** Renders the page until it shows what the test needs (the first render waits on the first reads). */
    private Document pageWhere(String url, String what, Predicate<Document> shown) throws Exception {
        AtomicReference<Document> last = new AtomicReference<>();
        try {
            return Conditions.awaitValue("the page showing " + what, PAGE_TIMEOUT, () -> {
                last.set(chromium.dom(url));
                return Optional.of(last.get()).filter(shown);
            });
        } catch (AssertionError e) {
            throw new AssertionError(
                    e.getMessage() + "; it showed:\n"
                            + (last.get() == null ? "nothing" : last.get().outerHtml()),
                    e);
        }
    }

    private void awaitStatus(String what, Function<List<JsonNode>, Boolean> condition) throws InterruptedException {
        Conditions.await(what, Duration.ofSeconds(30), () -> condition.apply(instances()));
    }

    private List<JsonNode> instances() {
        try {
            JsonNode status = JSON.readTree(HTTP.send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                                            + router.router().statusPort() + "/v1/status"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString())
                    .body());
            List<JsonNode> all = new ArrayList<>();
            status.path("services").forEach(service -> service.path("instances").forEach(all::add));
            return all;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Chat and embedding requests, one after the other, until closed; closing fails if one failed,
     * other than llama3's 503 (no healthy instance), which the dashboard counts as a 5xx.
     */
    private static final class BackgroundTraffic implements AutoCloseable {
        private final ExecutorService thread = Executors.newSingleThreadExecutor();
        private final AtomicBoolean closed = new AtomicBoolean();
        private Future<?> sending;

        static BackgroundTraffic start(OpenAIClient client) {
            BackgroundTraffic traffic = new BackgroundTraffic();
            traffic.sending = traffic.thread.submit(() -> {
                while (!traffic.closed.get()) {
                    chat(client, "qwen3");
                    try {
                        chat(client, "llama3");
                    } catch (OpenAIServiceException e) {
                        assertEquals(503, e.statusCode(), e::getMessage);
                    }
                    client.embeddings()
                            .create(EmbeddingCreateParams.builder()
                                    .model("bge-m3")
                                    .input("shared GPUs")
                                    .build());
                }
            });
            return traffic;
        }

        private static void chat(OpenAIClient client, String model) {
            client.chat()
                    .completions()
                    .create(ChatCompletionCreateParams.builder()
                            .model(model)
                            .addUserMessage("How busy are the GPUs?")
                            .build());
        }

        @Override
        public void close() throws Exception {
            closed.set(true);
            thread.shutdown();
            sending.get(30, TimeUnit.SECONDS);
        }
    }

    /** A model's row (instance null) or an instance's row in a service's table, as a reader finds it. */
    record Row(String service, String model, String instance) {
        /** The text under a column heading in this row, if the page shows the row. */
        Optional<String> cell(Document page, String column) {
            for (Element table : page.select("table")) {
                Element caption = table.selectFirst("caption");
                if (caption == null || !caption.text().startsWith(service + ":")) {
                    continue;
                }
                List<String> headings = table.select("thead th").eachText();
                for (Element group : table.select("tbody")) {
                    Element modelRow = group.selectFirst("tr");
                    if (modelRow == null || !modelRow.child(0).text().equals(model)) {
                        continue;
                    }
                    for (Element row : group.select("tr")) {
                        String name = row.child(0).ownText();
                        if (instance == null ? row == modelRow : row != modelRow && name.equals(instance)) {
                            return Optional.of(
                                    row.child(headings.indexOf(column)).text());
                        }
                    }
                }
            }
            return Optional.empty();
        }
    }
}
