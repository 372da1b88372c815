package org.jairouter.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.File;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.jairouter.fixtures.Conditions;
import org.jairouter.it.SteadyTraffic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.yaml.snakeyaml.Yaml;

/**
 * Every query of the Grafana dashboard, run by a real Prometheus (Debian's {@code prometheus}) that
 * scrapes metrics shaped as the contract says, with our scrape config: each returns data, and the
 * {@code instance} label is still the model server's base-url. Skipped where Prometheus is missing.
 */
class GrafanaQueriesOnPrometheusTest {
    private static final Logger LOG = LoggerFactory.getLogger(GrafanaQueriesOnPrometheusTest.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final List<SteadyTraffic> TRAFFIC = List.of(
            new SteadyTraffic("chat", "chat", "qwen3", "http://gpu-1:8000", 10, 1, 2),
            new SteadyTraffic("chat", "chat", "qwen3", "http://gpu-2:8000", 10, 0, 1),
            new SteadyTraffic("embedding", "embeddings", "bge-m3", "http://gpu-3:8000", 20, 0, 0));

    @Test
    void everyDashboardQueryReturnsDataAndInstancesKeepTheirLabel(@TempDir Path temp) throws Exception {
        Optional<Path> prometheus = Stream.of(
                        System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .map(dir -> Path.of(dir, "prometheus"))
                .filter(Files::isExecutable)
                .findFirst();
        if (prometheus.isEmpty()) {
            LOG.warn(
                    "{} SKIPPED: no prometheus on PATH (Debian: apt-get install prometheus)",
                    getClass().getSimpleName());
        }
        assumeTrue(prometheus.isPresent(), "no prometheus on PATH (Debian: apt-get install prometheus)");
        HttpServer metrics = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
        AtomicInteger scrapes = new AtomicInteger();
        metrics.createContext("/metrics", exchange -> {
            try (exchange) {
                byte[] text =
                        SteadyTraffic.text(TRAFFIC, scrapes.incrementAndGet()).getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("content-type", "text/plain; version=0.0.4");
                exchange.sendResponseHeaders(200, text.length);
                exchange.getResponseBody().write(text);
            }
        });
        metrics.start();
        int port = freePort();
        Process server = new ProcessBuilder(
                        prometheus.get().toString(),
                        "--config.file=" + scrapeConfigFor(metrics.getAddress().getPort(), temp),
                        "--storage.tsdb.path=" + temp.resolve("data"),
                        "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true)
                .redirectOutput(temp.resolve("prometheus.log").toFile())
                .start();
        try {
            // rate() needs two samples in its window, increase() over the range as well.
            Conditions.awaitValue(
                    "three scrapes stored",
                    Duration.ofMinutes(1),
                    () -> Optional.of(query(port, "count_over_time(jairouter_envoys_connected[1m]) >= 3"))
                            .filter(r -> r.size() > 0));

            Set<String> empty = new TreeSet<>();
            JsonNode dashboard = JSON.readTree(MonitoringFilesTest.DASHBOARD.toFile());
            for (String expression : MonitoringFilesTest.expressions(dashboard)) {
                if (query(port, MonitoringFilesTest.withGrafanaVariablesSet(expression))
                        .isEmpty()) {
                    empty.add(expression);
                }
            }
            assertEquals(Set.of(), empty, "queries without data");
            Set<String> instances = new TreeSet<>();
            query(port, "sum by (instance) (jairouter_requests_in_flight)")
                    .forEach(series ->
                            instances.add(series.path("metric").path("instance").asText()));
            assertEquals(
                    TRAFFIC.stream().map(SteadyTraffic::instance).collect(Collectors.toCollection(TreeSet::new)),
                    instances);
        } finally {
            server.destroy();
            server.waitFor();
            metrics.stop(0);
        }
    }

    /** deploy/monitoring/prometheus.yml, scraping the given port every second instead of the control plane. */
    private static Path scrapeConfigFor(int metricsPort, Path temp) throws Exception {
        Map<String, Object> config = MonitoringFilesTest.map(
                new Yaml().load(Files.readString(MonitoringFilesTest.MONITORING.resolve("prometheus.yml"))));
        MonitoringFilesTest.map(config.get("global")).put("scrape_interval", "1s");
        Map<String, Object> job = MonitoringFilesTest.map(((List<?>) config.get("scrape_configs")).get(0));
        MonitoringFilesTest.map(((List<?>) job.get("static_configs")).get(0))
                .put("targets", List.of("127.0.0.1:" + metricsPort));
        return Files.writeString(temp.resolve("prometheus.yml"), new Yaml().dump(config));
    }

    /** The result series of an instant query (an IOException while Prometheus is not up yet). */
    private static List<JsonNode> query(int port, String expression) throws Exception {
        HttpResponse<String> response = HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/query?query="
                                + URLEncoder.encode(expression, StandardCharsets.UTF_8)))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode answer = JSON.readTree(response.body());
        assertEquals("success", answer.path("status").asText(), expression + ": " + response.body());
        return StreamSupport.stream(answer.path("data").path("result").spliterator(), false)
                .toList();
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
