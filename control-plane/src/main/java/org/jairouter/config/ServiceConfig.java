package org.jairouter.config;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A service's policies and its instances, in config order.
 *
 * @param fallbackModels per model, the models of this service to use when it has no healthy instance
 *     ({@code fallback-models}); validated to name known models and to hold no cycle
 */
public record ServiceConfig(
        ServiceType type,
        LoadBalancing loadBalancing,
        HealthCheck healthCheck,
        RetryPolicy retry,
        RateLimit rateLimit,
        CircuitBreaker circuitBreaker,
        List<Instance> instances,
        Map<String, List<String>> fallbackModels) {

    public ServiceConfig {
        instances = List.copyOf(instances);
        fallbackModels = fallbackModels.entrySet().stream()
                .collect(Collectors.toUnmodifiableMap(Map.Entry::getKey, e -> List.copyOf(e.getValue())));
    }

    ServiceConfig withFallbackModels(Map<String, List<String>> fallbacks) {
        return new ServiceConfig(
                type, loadBalancing, healthCheck, retry, rateLimit, circuitBreaker, instances, fallbacks);
    }

    /** The service's policies alone: what its models' clusters share, whatever instances it lists. */
    public ServiceConfig withoutInstances() {
        return new ServiceConfig(
                type, loadBalancing, healthCheck, retry, rateLimit, circuitBreaker, List.of(), fallbackModels);
    }
}
