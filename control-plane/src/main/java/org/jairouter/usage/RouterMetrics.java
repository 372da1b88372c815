package org.jairouter.usage;

import com.sun.net.httpserver.HttpHandler;
import io.grpc.BindableService;
import io.prometheus.metrics.exporter.httpserver.MetricsHandler;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.jairouter.budget.KeyUsage;
import org.jairouter.envoy.EnvoyAdmin;
import org.jairouter.ir.RouterIr;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything behind {@code GET /metrics}: the per-request metrics from the records Envoys send, the
 * per-instance gauges read from the supervised Envoy's admin, and the control plane's own counters.
 * Java only observes: no request waits on anything here.
 */
public final class RouterMetrics implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RouterMetrics.class);
    /** How often the in-flight and health gauges are read from Envoy's admin, at most. */
    private static final Duration ADMIN_PERIOD = Duration.ofSeconds(1);
    /**
     * A read waits this many times as long as the last one took, so reading takes at most 2% of the time:
     * at 10,000 instances a read of Envoy's /clusters takes a few hundred milliseconds of both processes,
     * which every reload then competed with (at 9 times, 150 ms of control-plane CPU per second idle).
     */
    private static final int ADMIN_IDLE_FACTOR = 49;

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final RequestMetrics requests = new RequestMetrics(registry);
    private final InstanceMetrics instances = new InstanceMetrics(registry);
    private final ControlPlaneMetrics controlPlane;
    private final ScheduledExecutorService adminReader = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "metrics-envoy-admin");
        thread.setDaemon(true);
        return thread;
    });
    private volatile MetricLabels labels = MetricLabels.empty();

    public RouterMetrics(LongSupplier envoysConnected, LongSupplier envoyNacks, LongSupplier envoyRestarts) {
        controlPlane = new ControlPlaneMetrics(registry, envoysConnected, envoyNacks, envoyRestarts);
    }

    /**
     * The OTLP logs service the Envoys' request records arrive at. Each becomes metrics and, when a key of
     * the config in force made it and an instance served it, one request and its tokens on that key's
     * budget: the router's own refusals (401, 403, 404, 429) cost a key nothing.
     */
    public BindableService requestRecords(KeyUsage keyUsage) {
        return new RequestRecordReceiver(
                controlPlane::recordBatchReceived,
                record -> {
                    requests.record(record);
                    MetricLabels current = labels;
                    String keyId = current.keyId(record.keyId());
                    if (!keyId.isEmpty() && !current.servingHost(record).isEmpty()) {
                        keyUsage.record(keyId, 1, record.tokens(), record.attempts());
                    }
                },
                start -> {
                    String keyId = labels.keyId(start.keyId());
                    if (!keyId.isEmpty()) {
                        keyUsage.started(keyId);
                    }
                });
    }

    public HttpHandler httpHandler() {
        return new MetricsHandler(registry);
    }

    /** Label values come from this router model (the config in force and the names chosen for it) from now on. */
    public void configure(RouterIr ir) {
        labels = new MetricLabels(ir, labels);
        requests.configure(labels);
    }

    public void reloaded(boolean applied) {
        controlPlane.reloaded(applied);
    }

    /** Reads the instance gauges from this Envoy's admin, when there is one, until closed. */
    public void watch(Supplier<Optional<EnvoyAdmin>> admin) {
        adminReader.execute(() -> readAndReschedule(admin));
    }

    private void readAndReschedule(Supplier<Optional<EnvoyAdmin>> admin) {
        long started = System.nanoTime();
        admin.get().ifPresent(this::readInstances);
        long took = System.nanoTime() - started;
        long delay = Math.max(ADMIN_PERIOD.toNanos(), took * ADMIN_IDLE_FACTOR);
        try {
            adminReader.schedule(() -> readAndReschedule(admin), delay, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException closed) {
            // Closed meanwhile.
        }
    }

    private void readInstances(EnvoyAdmin admin) {
        try {
            instances.update(admin.hostStatuses(), labels);
        } catch (IOException e) {
            LOG.debug("Envoy admin not readable right now: {}", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.warn("Reading instance metrics failed", e);
        }
    }

    @Override
    public void close() {
        adminReader.shutdownNow();
    }
}
