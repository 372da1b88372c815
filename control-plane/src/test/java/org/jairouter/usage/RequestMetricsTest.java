package org.jairouter.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import java.util.Map;
import java.util.TreeMap;
import org.jairouter.config.ConfigException;
import org.jairouter.config.ConfigLoader;
import org.jairouter.config.RouterConfig;
import org.jairouter.ir.RouterIr;
import org.jairouter.translate.AccessLogFields;
import org.junit.jupiter.api.Test;

/** Request records become series labelled from the config only, and keep counting across reloads. */
class RequestMetricsTest {
    private static final String ONE_INSTANCE = """
            model:
              services:
                chat:
                  instances:
                    - { name: qwen, base-url: "http://10.0.0.1:8000" }
            """;
    private static final String TWO_INSTANCES = ONE_INSTANCE + """
                    - { name: qwen, base-url: "http://10.0.0.2:8000" }
            """;
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final RequestMetrics metrics = new RequestMetrics(registry);
    /** The labels of the last config, which the next config's labels may reuse, as the router does. */
    private MetricLabels inForce = MetricLabels.empty();

    @Test
    void anUnchangedInstanceKeepsCountingAcrossAReload() throws ConfigException {
        metrics.configure(labels(ONE_INSTANCE));
        metrics.record(record("chat~qwen", "10.0.0.1:8000"));
        metrics.configure(labels(TWO_INSTANCES));
        metrics.record(record("chat~qwen", "10.0.0.1:8000"));
        metrics.record(record("chat~qwen", "10.0.0.2:8000"));

        assertEquals(Map.of("http://10.0.0.1:8000", 2.0, "http://10.0.0.2:8000", 1.0), requestsByInstance());
    }

    @Test
    void recordsOfUnknownModelsAndHostsCreateNoSeriesOfTheirOwn() throws ConfigException {
        metrics.configure(labels(ONE_INSTANCE));
        metrics.record(record("chat~llama", "10.0.0.1:8000"));
        metrics.record(record("jairouter_status", "127.0.0.1:18001"));
        metrics.record(record("chat~qwen", "10.9.9.9:8000"));

        assertEquals(Map.of("", 1.0), requestsByInstance());
    }

    @Test
    void aReloadLabelsEachModelFromTheNewConfigWhetherItChangedOrNot() throws ConfigException {
        String before = ONE_INSTANCE + """
                        - { name: llama, base-url: "http://10.0.0.3:8000" }
                """;
        metrics.configure(labels(before));
        metrics.configure(labels(before.replace("http://10.0.0.3:8000", "http://10.0.0.3:8000/v2")));
        metrics.record(record("chat~qwen", "10.0.0.1:8000"));
        metrics.record(record("chat~llama", "10.0.0.3:8000"));

        assertEquals(Map.of("http://10.0.0.1:8000", 1.0, "http://10.0.0.3:8000/v2", 1.0), requestsByInstance());
    }

    private MetricLabels labels(String yaml) throws ConfigException {
        RouterConfig config = ConfigLoader.parse(yaml, "test.yml").config();
        inForce = new MetricLabels(RouterIr.of(config), inForce);
        return inForce;
    }

    private static RequestRecord record(String cluster, String host) {
        return RequestRecordTest.parsed(Map.of(
                        AccessLogFields.CLUSTER,
                        cluster,
                        AccessLogFields.INSTANCE,
                        host,
                        AccessLogFields.STATUS,
                        "200",
                        AccessLogFields.DURATION_MS,
                        "12",
                        AccessLogFields.INPUT_TOKENS,
                        "5"))
                .orElseThrow();
    }

    private Map<String, Double> requestsByInstance() {
        Map<String, Double> counts = new TreeMap<>();
        registry.scrape().stream()
                .filter(s -> s.getMetadata().getPrometheusName().equals("jairouter_requests"))
                .flatMap(s -> ((CounterSnapshot) s).getDataPoints().stream())
                .forEach(point -> counts.merge(point.getLabels().get("instance"), point.getValue(), Double::sum));
        return counts;
    }
}
