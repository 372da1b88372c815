package org.jairouter.translate;

import com.google.protobuf.Duration;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.cluster.v3.OutlierDetection;
import java.util.List;
import java.util.Optional;
import org.jairouter.config.Adapter;
import org.jairouter.config.CircuitBreaker;
import org.jairouter.config.HealthCheck;
import org.jairouter.config.Instance;
import org.jairouter.config.ServiceType;

/**
 * Active health checks and passive outlier detection for a model's cluster. Envoy checks with one
 * path per cluster, so HTTP checks need every instance to share a models path; otherwise TCP.
 */
final class HealthChecks {
    /** Envoy's default of 10% would never eject one of a model's two instances. */
    private static final int MAX_EJECTION_PERCENT = 100;
    /**
     * Each check waits its interval plus up to this share of it at random. Envoy checks on its main thread,
     * where it also applies xDS updates: without jitter the instances of clusters created together stay
     * in step, and at 10,000 instances each round was a burst of about 0.6 s of CPU that held up a reload
     * landing in it (bench step 40). No initial jitter: a new cluster waits for its first checks.
     */
    private static final int INTERVAL_JITTER_PERCENT = 20;

    private HealthChecks() {}

    static Optional<io.envoyproxy.envoy.config.core.v3.HealthCheck> active(
            ServiceType service, HealthCheck settings, List<Instance> instances) {
        if (settings.type() == HealthCheck.Type.NONE) {
            return Optional.empty();
        }
        io.envoyproxy.envoy.config.core.v3.HealthCheck.Builder check =
                io.envoyproxy.envoy.config.core.v3.HealthCheck.newBuilder()
                        .setInterval(Protos.duration(settings.interval()))
                        // An idle model is checked as often as a busy one, so status stays live.
                        .setNoTrafficInterval(Protos.duration(settings.interval()))
                        .setIntervalJitterPercent(INTERVAL_JITTER_PERCENT)
                        .setTimeout(Protos.duration(settings.timeout()))
                        .setUnhealthyThreshold(UInt32Value.of(settings.unhealthyThreshold()))
                        .setHealthyThreshold(UInt32Value.of(settings.healthyThreshold()));
        Optional<String> path = settings.type() == HealthCheck.Type.TCP
                ? Optional.empty()
                : settings.path().or(() -> adapterHealthPath(instances)).or(() -> sharedModelsPath(service, instances));
        if (path.isPresent()) {
            check.setHttpHealthCheck(io.envoyproxy.envoy.config.core.v3.HealthCheck.HttpHealthCheck.newBuilder()
                    .setPath(path.get()));
        } else {
            check.setTcpHealthCheck(io.envoyproxy.envoy.config.core.v3.HealthCheck.TcpHealthCheck.getDefaultInstance());
        }
        return Optional.of(check.build());
    }

    /** The backend's own health path (vLLM's /health...), when all instances are one kind on one prefix. */
    static Optional<String> adapterHealthPath(List<Instance> instances) {
        if (instances.stream().anyMatch(i -> i.adapter() == Adapter.NORMAL)) {
            return Optional.empty();
        }
        List<String> paths = instances.stream()
                .map(i -> i.basePath() + i.adapter().healthPath())
                .distinct()
                .toList();
        return paths.size() == 1 ? Optional.of(paths.get(0)) : Optional.empty();
    }

    /**
     * The OpenAI models path beside each instance's service path ({@code /v1-openai/chat/completions}
     * gives {@code /v1-openai/models}), if all instances agree on one.
     */
    static Optional<String> sharedModelsPath(ServiceType service, List<Instance> instances) {
        List<String> paths =
                instances.stream().map(Instance::upstreamPath).distinct().toList();
        return paths.size() == 1 ? service.modelsPathBeside(paths.get(0)) : Optional.empty();
    }

    /**
     * Instances that fail requests are taken out for a while, even between active checks. A failure is a
     * 5xx answer or one Envoy sees itself: a refused connection, a connection closed or reset before the
     * answer, garbage for an answer, no answer within the response timeout. They count together, in one
     * row of consecutive failures: Envoy's {@code split_external_local_origin_errors} is left off. With it
     * on, the connection's success (the instance accepted it) ends a row of local-origin failures, so an
     * instance that accepts every connection and drops every request was never ejected (Envoy 1.40, by
     * DroppedConnectionFailoverTest); off, Envoy maps resets to 503 and timeouts to 504 and ignores
     * connection successes.
     */
    static OutlierDetection passive(CircuitBreaker breaker) {
        if (breaker.enabled()) {
            return circuitBreaker(breaker);
        }
        return OutlierDetection.newBuilder()
                .setConsecutive5Xx(UInt32Value.of(5))
                .setInterval(Protos.seconds(5))
                .setBaseEjectionTime(Protos.seconds(30))
                .setMaxEjectionPercent(UInt32Value.of(MAX_EJECTION_PERCENT))
                .build();
    }

    /**
     * JAiRouter's circuit breaker as outlier detection: failure-threshold consecutive failures (5xx
     * answers and the failures Envoy sees itself, counted together as in {@link #passive}) eject the
     * instance at once, for timeout. Envoy
     * brings it back at the first sweep after that (sweeps every second here), and each ejection in a
     * row lasts timeout times their number, up to 10 times timeout. success-threshold has no
     * counterpart: a returned instance takes traffic at once, and its next failures eject it again.
     */
    private static OutlierDetection circuitBreaker(CircuitBreaker breaker) {
        Duration timeout = Duration.newBuilder()
                .setSeconds(breaker.timeoutMillis() / 1000)
                .setNanos((int) (breaker.timeoutMillis() % 1000) * 1_000_000)
                .build();
        Duration longest = Duration.newBuilder()
                .setSeconds(breaker.timeoutMillis() * 10 / 1000)
                .setNanos((int) (breaker.timeoutMillis() * 10 % 1000) * 1_000_000)
                .build();
        return OutlierDetection.newBuilder()
                .setConsecutive5Xx(UInt32Value.of(breaker.failureThreshold()))
                .setInterval(Protos.seconds(1))
                .setBaseEjectionTime(timeout)
                .setMaxEjectionTime(longest)
                .setMaxEjectionPercent(UInt32Value.of(MAX_EJECTION_PERCENT))
                .build();
    }
}
