package org.jairouter.usage;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Arrays;
import java.util.Optional;

/**
 * The per-request metrics, from the records every Envoy sends: OpenTelemetry's gen_ai histograms (in their
 * Prometheus names and units) and our request, response-flag and retry counters. A record whose cluster is
 * not a model of the config in force (an unknown model, a status request) is dropped, so a client can never
 * create a series. Series are never removed: an unchanged instance keeps its counts across reloads.
 */
final class RequestMetrics {
    private static final double[] TOKEN_BUCKETS = {1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304
    };
    private static final double[] DURATION_BUCKETS = {
        0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92, 163.84, 327.68
    };
    private static final double[] FIRST_TOKEN_BUCKETS = {
        0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30, 60
    };
    private static final double[] PER_TOKEN_BUCKETS = {
        0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5
    };
    private static final String SERVICE = "service";
    private static final String OPERATION = "gen_ai_operation_name";
    private static final String MODEL = "gen_ai_request_model";
    private static final String INSTANCE = "instance";
    /** The client key's id where keys are enforced; "" otherwise, which Prometheus stores as no label. */
    private static final String KEY_ID = "key_id";

    private final Histogram tokens;
    private final Histogram duration;
    private final Histogram firstToken;
    private final Histogram perOutputToken;
    private final Counter requests;
    private final Counter responseFlags;
    private final Counter retries;
    private volatile MetricLabels labels = MetricLabels.empty();

    RequestMetrics(PrometheusRegistry registry) {
        tokens = histogram(
                        "gen_ai_client_token_usage",
                        "Tokens used per request, as the instance reported them",
                        TOKEN_BUCKETS,
                        SERVICE,
                        OPERATION,
                        MODEL,
                        INSTANCE,
                        KEY_ID,
                        "gen_ai_token_type")
                .register(registry);
        duration = histogram(
                        "gen_ai_server_request_duration_seconds",
                        "Time from the request's first byte to the response's last, through the router",
                        DURATION_BUCKETS,
                        SERVICE,
                        OPERATION,
                        MODEL,
                        INSTANCE)
                .register(registry);
        firstToken = histogram(
                        "gen_ai_server_time_to_first_token_seconds",
                        "Time from the request's first byte to the first response body byte from the instance",
                        FIRST_TOKEN_BUCKETS,
                        SERVICE,
                        OPERATION,
                        MODEL,
                        INSTANCE)
                .register(registry);
        perOutputToken = histogram(
                        "gen_ai_server_time_per_output_token_seconds",
                        "Time per output token after the first, for streamed responses that reported usage",
                        PER_TOKEN_BUCKETS,
                        SERVICE,
                        OPERATION,
                        MODEL,
                        INSTANCE)
                .register(registry);
        requests = Counter.builder()
                .name("jairouter_requests_total")
                .help("Requests by model, instance (\"\" when none was chosen) and status code class")
                .labelNames(SERVICE, OPERATION, MODEL, INSTANCE, KEY_ID, "code_class")
                .register(registry);
        responseFlags = Counter.builder()
                .name("jairouter_response_flags_total")
                .help("Requests by Envoy response flag (UH no healthy instance, UT timeout, UF connect failure...)")
                .labelNames(SERVICE, MODEL, "flag")
                .register(registry);
        retries = Counter.builder()
                .name("jairouter_upstream_retries_total")
                .help("Requests Envoy sent again to another instance")
                .labelNames(SERVICE, MODEL)
                .register(registry);
    }

    private static Histogram.Builder histogram(String name, String help, double[] buckets, String... labelNames) {
        return Histogram.builder()
                .name(name)
                .help(help)
                .classicOnly()
                .classicUpperBounds(buckets)
                .labelNames(labelNames);
    }

    /** Label values from now on come from this config. */
    void configure(MetricLabels labels) {
        this.labels = labels;
    }

    void record(RequestRecord record) {
        MetricLabels current = labels;
        Optional<MetricLabels.Model> found = current.model(record.cluster());
        if (found.isEmpty()) {
            return;
        }
        MetricLabels.Model model = found.get();
        String instance = current.instance(record.cluster(), record.instance());
        String keyId = current.keyId(record.keyId());
        String[] labels = {model.service(), model.operation(), model.model(), instance};
        requests.labelValues(model.service(), model.operation(), model.model(), instance, keyId, record.codeClass())
                .inc();
        record.responseFlags()
                .forEach(flag -> responseFlags
                        .labelValues(model.service(), model.model(), flag)
                        .inc());
        if (record.attempts() > 1) {
            retries.labelValues(model.service(), model.model()).inc(record.attempts() - 1);
        }
        record.durationMs().ifPresent(ms -> duration.labelValues(labels).observe(ms / 1000.0));
        if (record.status() / 100 != 2) {
            return;
        }
        record.firstByteMs().ifPresent(ms -> firstToken.labelValues(labels).observe(ms / 1000.0));
        record.inputTokens()
                .ifPresent(n -> tokens.labelValues(with(labels, keyId, "input")).observe(n));
        record.outputTokens()
                .ifPresent(
                        n -> tokens.labelValues(with(labels, keyId, "output")).observe(n));
        if (record.streamed()
                && record.outputTokens().orElse(0) > 1
                && record.durationMs().isPresent()
                && record.firstByteMs().isPresent()) {
            long generating =
                    record.durationMs().getAsLong() - record.firstByteMs().getAsLong();
            perOutputToken
                    .labelValues(labels)
                    .observe(generating / 1000.0 / (record.outputTokens().getAsLong() - 1));
        }
    }

    private static String[] with(String[] labels, String keyId, String tokenType) {
        String[] all = Arrays.copyOf(labels, labels.length + 2);
        all[labels.length] = keyId;
        all[labels.length + 1] = tokenType;
        return all;
    }
}
