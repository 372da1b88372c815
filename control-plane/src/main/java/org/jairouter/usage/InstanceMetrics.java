package org.jairouter.usage;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.jairouter.envoy.HostStatus;

/**
 * Per-instance gauges read from the supervised Envoy's admin interface: requests in flight and health, and
 * the ejections seen (an instance found ejected that was not at the previous reading counts one).
 */
final class InstanceMetrics {
    private static final String[] LABELS = {"service", "gen_ai_request_model", "instance"};
    private final Gauge inFlight;
    private final Gauge healthy;
    private final Counter ejections;
    private final Set<List<String>> ejected = new HashSet<>();
    /** The instances last shown: one no longer in Envoy (removed by a reload) leaves the gauges. */
    private final Set<List<String>> shown = new HashSet<>();

    InstanceMetrics(PrometheusRegistry registry) {
        // No exemplars (no trace spans here): with them every instance's gauges held a sampler, and each
        // read of Envoy's /clusters scheduled a task per instance, 10,000 a read at 10,000 instances.
        inFlight = Gauge.builder()
                .withoutExemplars()
                .name("jairouter_requests_in_flight")
                .help("Requests an instance is answering now")
                .labelNames(LABELS)
                .register(registry);
        healthy = Gauge.builder()
                .withoutExemplars()
                .name("jairouter_instance_healthy")
                .help("1 while an instance gets traffic (passing health checks, not ejected), else 0")
                .labelNames(LABELS)
                .register(registry);
        ejections = Counter.builder()
                .withoutExemplars()
                .name("jairouter_instance_ejections_total")
                .help("Times an instance was found ejected by outlier detection (consecutive failures)")
                .labelNames(LABELS)
                .register(registry);
    }

    synchronized void update(List<HostStatus> hosts, MetricLabels labels) {
        Set<List<String>> nowEjected = new HashSet<>();
        Set<List<String>> nowShown = new HashSet<>();
        for (HostStatus host : hosts) {
            Optional<MetricLabels.Model> model = labels.model(host.cluster());
            String instance = labels.instance(host.cluster(), host.hostname());
            if (model.isEmpty() || instance.isEmpty()) {
                continue;
            }
            String[] values = {model.get().service(), model.get().model(), instance};
            nowShown.add(List.of(values));
            inFlight.labelValues(values).set(host.requestsActive());
            healthy.labelValues(values).set(host.healthy() ? 1 : 0);
            if (host.ejected()) {
                nowEjected.add(List.of(values));
                if (!ejected.contains(List.of(values))) {
                    ejections.labelValues(values).inc();
                }
            }
        }
        ejected.clear();
        ejected.addAll(nowEjected);
        shown.stream().filter(values -> !nowShown.contains(values)).forEach(values -> {
            inFlight.remove(values.toArray(String[]::new));
            healthy.remove(values.toArray(String[]::new));
        });
        shown.clear();
        shown.addAll(nowShown);
    }
}
