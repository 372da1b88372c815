package org.jairouter.config;

import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** A {@code circuit-breaker} section, model-wide or per service; each key it leaves out keeps the inherited value. */
final class CircuitBreakerReader {
    private static final Set<String> KEYS = Set.of(
            "enabled",
            "failure-threshold",
            "timeout",
            "success-threshold",
            "max-concurrent-requests",
            "max-concurrent-low-priority-requests",
            "max-connections",
            "max-pending-requests",
            "max-requests");

    private CircuitBreakerReader() {}

    static CircuitBreaker read(YamlSection section, CircuitBreaker inherited) {
        Map<String, YamlSection> entries = section.entries(KEYS, Set.of());
        boolean enabled = Optional.ofNullable(entries.get("enabled"))
                .flatMap(YamlSection::bool)
                .orElse(inherited.enabled());
        int failures = Optional.ofNullable(entries.get("failure-threshold"))
                .flatMap(n -> n.integer(1, 1000))
                .orElse(inherited.failureThreshold());
        // JAiRouter's timeout is in milliseconds.
        long timeout = Optional.ofNullable(entries.get("timeout"))
                .flatMap(n -> n.longInteger(100, 86_400_000))
                .orElse(inherited.timeoutMillis());
        int successes = Optional.ofNullable(entries.get("success-threshold"))
                .flatMap(n -> n.integer(1, 1000))
                .orElse(inherited.successThreshold());
        int concurrent = Optional.ofNullable(entries.get("max-concurrent-requests"))
                .flatMap(n -> n.integer(0, 1_000_000))
                .orElse(inherited.maxConcurrentRequests());
        int lowPriority = lowPriority(entries, concurrent, inherited.maxConcurrentLowPriorityRequests());
        return new CircuitBreaker(
                enabled,
                failures,
                timeout,
                successes,
                concurrent,
                lowPriority,
                modelLimits(entries, inherited.modelLimits()));
    }

    /** The low-priority share per instance, at most max-concurrent-requests (the reserve may be nothing). */
    private static int lowPriority(Map<String, YamlSection> entries, int concurrent, int inherited) {
        YamlSection own = entries.get("max-concurrent-low-priority-requests");
        int lowPriority =
                Optional.ofNullable(own).flatMap(n -> n.integer(0, 1_000_000)).orElse(inherited);
        if (lowPriority > 0 && concurrent > 0 && lowPriority > concurrent) {
            YamlSection at = own != null ? own : entries.get("max-concurrent-requests");
            at.error("max-concurrent-low-priority-requests (" + lowPriority
                    + ") must be at most max-concurrent-requests (" + concurrent + ")");
            return concurrent;
        }
        if (own != null && lowPriority > 0 && concurrent == 0) {
            own.warn("has no effect without max-concurrent-requests: a model without a cap is never full");
        }
        return lowPriority;
    }

    private static ModelLimits modelLimits(Map<String, YamlSection> entries, ModelLimits inherited) {
        return new ModelLimits(
                limit(entries, "max-connections", inherited.maxConnections()),
                limit(entries, "max-pending-requests", inherited.maxPendingRequests()),
                limit(entries, "max-requests", inherited.maxRequests()));
    }

    private static int limit(Map<String, YamlSection> entries, String key, int inherited) {
        return Optional.ofNullable(entries.get(key))
                .flatMap(n -> n.integer(1, 10_000_000))
                .orElse(inherited);
    }
}
