package org.jairouter.config;

import java.util.Map;
import java.util.Optional;

/**
 * JAiRouter's per-instance {@code rate-limit} and {@code circuit-breaker}. Both are checked as the
 * service's are (a misspelt key is still an error), then named in a warning saying what happens instead:
 * Envoy limits requests per route (service, model, client address), never per upstream host, so an
 * instance's own limit cannot be kept; and Envoy's outlier detection already breaks each instance on
 * its own, with the service's thresholds, so an instance's own thresholds are the ones not used.
 */
final class InstancePoliciesReader {
    private InstancePoliciesReader() {}

    static void read(Map<String, YamlSection> instanceEntries) {
        Optional.ofNullable(instanceEntries.get("rate-limit")).ifPresent(limit -> {
            // Keys only: JAiRouter writes scope "instance" here, which a service's limit refuses.
            limit.entries(RateLimitReader.KEYS, RateLimitReader.IGNORED_KEYS);
            limit.warn("a limit per instance is not kept (Envoy limits per service, model or client address);"
                    + " ignored: the service's rate-limit applies");
        });
        Optional.ofNullable(instanceEntries.get("circuit-breaker")).ifPresent(breaker -> {
            CircuitBreakerReader.read(breaker, CircuitBreaker.DEFAULT);
            breaker.warn("each instance already has its own breaker, with the service's circuit-breaker"
                    + " thresholds; this instance's thresholds are not used");
        });
    }
}
