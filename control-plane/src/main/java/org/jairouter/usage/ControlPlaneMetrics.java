package org.jairouter.usage;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.function.LongSupplier;

/** The control plane's own counters: config reloads, Envoys connected, the configs they rejected, restarts. */
final class ControlPlaneMetrics {
    private final Counter reloads;
    private final CounterDataPoint recordBatches;

    ControlPlaneMetrics(
            PrometheusRegistry registry,
            LongSupplier envoysConnected,
            LongSupplier envoyNacks,
            LongSupplier envoyRestarts) {
        reloads = Counter.builder()
                .name("jairouter_config_reloads_total")
                .help("Config files read: applied, or refused as invalid (the config in force stayed)")
                .labelNames("result")
                .register(registry);
        reloads.labelValues("applied");
        reloads.labelValues("refused");
        recordBatches = Counter.builder()
                .name("jairouter_request_record_batches_total")
                .help("Batches of request records the Envoys sent, one gRPC call each (records per batch = "
                        + "jairouter_requests_total / this)")
                .withoutExemplars()
                .register(registry)
                .labelValues();
        GaugeWithCallback.builder()
                .name("jairouter_envoys_connected")
                .help("Envoys connected to this control plane now")
                .callback(callback -> callback.call(envoysConnected.getAsLong()))
                .register(registry);
        CounterWithCallback.builder()
                .name("jairouter_envoy_nacks_total")
                .help("Configs an Envoy rejected (NACKed)")
                .callback(callback -> callback.call(envoyNacks.getAsLong()))
                .register(registry);
        CounterWithCallback.builder()
                .name("jairouter_envoy_restarts_total")
                .help("Times the supervised Envoy exited and was started again")
                .callback(callback -> callback.call(envoyRestarts.getAsLong()))
                .register(registry);
    }

    void recordBatchReceived() {
        recordBatches.inc();
    }

    void reloaded(boolean applied) {
        reloads.labelValues(applied ? "applied" : "refused").inc();
    }
}
