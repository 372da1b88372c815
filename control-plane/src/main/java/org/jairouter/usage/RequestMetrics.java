package org.jairouter.usage;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;

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
    /** A series' data points by slot: the requests counter's code classes 0xx…9xx first, then the others. */
    private static final int CODE_CLASSES = 10;

    private static final int RETRIES = CODE_CLASSES;
    private static final int DURATION = RETRIES + 1;
    private static final int FIRST_TOKEN = DURATION + 1;
    private static final int PER_OUTPUT_TOKEN = FIRST_TOKEN + 1;
    private static final int INPUT_TOKENS = PER_OUTPUT_TOKEN + 1;
    private static final int OUTPUT_TOKENS = INPUT_TOKENS + 1;
    private static final int POINTS = OUTPUT_TOKENS + 1;

    private final Histogram tokens;
    private final Histogram duration;
    private final Histogram firstToken;
    private final Histogram perOutputToken;
    private final Counter requests;
    private final Counter responseFlags;
    private final Counter retries;
    private volatile SeriesCache series = new SeriesCache(MetricLabels.empty());

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
                .withoutExemplars()
                .name("jairouter_requests_total")
                .help("Requests by model, instance (\"\" when none was chosen) and status code class")
                .labelNames(SERVICE, OPERATION, MODEL, INSTANCE, KEY_ID, "code_class")
                .register(registry);
        responseFlags = Counter.builder()
                .withoutExemplars()
                .name("jairouter_response_flags_total")
                .help("Requests by Envoy response flag (UH no healthy instance, UT timeout, UF connect failure...)")
                .labelNames(SERVICE, MODEL, "flag")
                .register(registry);
        retries = Counter.builder()
                .withoutExemplars()
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
                .withoutExemplars()
                .classicUpperBounds(buckets)
                .labelNames(labelNames);
    }

    /** Label values from now on come from this config. */
    void configure(MetricLabels labels) {
        series = new SeriesCache(labels);
    }

    void record(RequestRecord record) {
        SeriesCache current = series;
        Optional<MetricLabels.Model> model = current.labels.model(record.cluster(), record.route());
        if (model.isEmpty()) {
            return;
        }
        Series series = current.of(
                model.get(),
                current.labels.instance(record.cluster(), current.labels.servingHost(record)),
                current.labels.keyId(record.keyId()));
        series.requests(record.status()).inc();
        for (String flag : record.responseFlags()) {
            series.flag(flag).inc();
        }
        if (record.attempts() > 1) {
            series.counter(RETRIES).inc(record.attempts() - 1);
        }
        OptionalLong durationMs = record.durationMs();
        if (durationMs.isPresent()) {
            series.histogram(DURATION).observe(durationMs.getAsLong() / 1000.0);
        }
        if (record.status() / 100 != 2) {
            return;
        }
        OptionalLong firstByteMs = record.firstByteMs();
        OptionalLong outputTokens = record.outputTokens();
        if (firstByteMs.isPresent()) {
            series.histogram(FIRST_TOKEN).observe(firstByteMs.getAsLong() / 1000.0);
        }
        if (record.inputTokens().isPresent()) {
            series.histogram(INPUT_TOKENS).observe(record.inputTokens().getAsLong());
        }
        if (outputTokens.isPresent()) {
            series.histogram(OUTPUT_TOKENS).observe(outputTokens.getAsLong());
        }
        if (record.streamed() && outputTokens.orElse(0) > 1 && durationMs.isPresent() && firstByteMs.isPresent()) {
            long generating = durationMs.getAsLong() - firstByteMs.getAsLong();
            series.histogram(PER_OUTPUT_TOKEN).observe(generating / 1000.0 / (outputTokens.getAsLong() - 1));
        }
    }

    /** The series of one config's label sets, each made on its first record. */
    private final class SeriesCache {
        private final MetricLabels labels;
        private final Map<SeriesKey, Series> byKey = new ConcurrentHashMap<>();

        SeriesCache(MetricLabels labels) {
            this.labels = labels;
        }

        Series of(MetricLabels.Model model, String instance, String keyId) {
            SeriesKey key = new SeriesKey(model, instance, keyId);
            Series found = byKey.get(key);
            return found != null ? found : byKey.computeIfAbsent(key, Series::new);
        }
    }

    /** Label values from the config only, so there are as many as the config has label sets. */
    private record SeriesKey(MetricLabels.Model model, String instance, String keyId) {}

    /**
     * The data points of one label set, each looked up once, when first used (a data point looked up is a
     * series on /metrics, so none is made before it has a value). Two records racing to make one get the
     * same data point: Prometheus makes it once per label values.
     */
    private final class Series {
        private final SeriesKey key;
        private final AtomicReferenceArray<DataPoint> points = new AtomicReferenceArray<>(POINTS);
        private final Map<String, CounterDataPoint> flags = new ConcurrentHashMap<>();

        Series(SeriesKey key) {
            this.key = key;
        }

        /** Requests by status code class: 2xx…; a request that never got a status (client gone) is 0xx. */
        CounterDataPoint requests(int status) {
            int codeClass = status / 100;
            return codeClass < CODE_CLASSES ? counter(codeClass) : requestsOfClass(codeClass);
        }

        CounterDataPoint flag(String flag) {
            return flags.computeIfAbsent(
                    flag,
                    f -> responseFlags.labelValues(
                            key.model().service(), key.model().model(), f));
        }

        CounterDataPoint counter(int point) {
            return (CounterDataPoint) point(point);
        }

        DistributionDataPoint histogram(int point) {
            return (DistributionDataPoint) point(point);
        }

        private DataPoint point(int point) {
            DataPoint found = points.get(point);
            if (found == null) {
                found = lookUp(point);
                points.set(point, found);
            }
            return found;
        }

        private DataPoint lookUp(int point) {
            MetricLabels.Model model = key.model();
            String[] labels = {model.service(), model.operation(), model.model(), key.instance()};
            return switch (point) {
                case RETRIES -> retries.labelValues(model.service(), model.model());
                case DURATION -> duration.labelValues(labels);
                case FIRST_TOKEN -> firstToken.labelValues(labels);
                case PER_OUTPUT_TOKEN -> perOutputToken.labelValues(labels);
                case INPUT_TOKENS -> tokens.labelValues(with(labels, key.keyId(), "input"));
                case OUTPUT_TOKENS -> tokens.labelValues(with(labels, key.keyId(), "output"));
                default -> requestsOfClass(point);
            };
        }

        private CounterDataPoint requestsOfClass(int codeClass) {
            MetricLabels.Model model = key.model();
            return requests.labelValues(
                    model.service(), model.operation(), model.model(), key.instance(), key.keyId(), codeClass + "xx");
        }
    }

    private static String[] with(String[] labels, String keyId, String tokenType) {
        String[] all = Arrays.copyOf(labels, labels.length + 2);
        all[labels.length] = keyId;
        all[labels.length + 1] = tokenType;
        return all;
    }
}
