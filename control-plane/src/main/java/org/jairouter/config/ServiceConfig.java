package org.jairouter.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A service's policies and its instances, in config order.
 *
 * @param settings       its inheritable settings ({@link ServiceSettings}): its own, else the model section's
 * @param fallbackModels per model, the models of this service to use when it has no healthy instance
 *     ({@code fallback-models}); validated to name known models and to hold no cycle
 */
public record ServiceConfig(
        ServiceType type,
        ServiceSettings settings,
        List<Instance> instances,
        Map<String, List<String>> fallbackModels) {

    public ServiceConfig {
        instances = List.copyOf(instances);
        fallbackModels = fallbackModels.entrySet().stream()
                .collect(Collectors.toUnmodifiableMap(Map.Entry::getKey, e -> List.copyOf(e.getValue())));
    }

    public LoadBalancing loadBalancing() {
        return settings.get(ServiceSettings.LOAD_BALANCE);
    }

    public HealthCheck healthCheck() {
        return settings.get(ServiceSettings.HEALTH_CHECK);
    }

    public RetryPolicy retry() {
        return settings.get(ServiceSettings.RETRY);
    }

    public RateLimit rateLimit() {
        return settings.get(ServiceSettings.RATE_LIMIT);
    }

    public CircuitBreaker circuitBreaker() {
        return settings.get(ServiceSettings.CIRCUIT_BREAKER);
    }

    /**
     * How long each try may wait for an instance's response headers ({@code response-timeout}, else the
     * service type's default); a stream, once started, is not bound by it.
     */
    public Duration responseTimeout() {
        return settings.get(ServiceSettings.RESPONSE_TIMEOUT).orElse(type.defaultResponseTimeout());
    }

    /**
     * How long each try of a streamed request may wait for the instance's first token ({@code
     * first-token-timeout}); empty when not set or when the service's answers do not stream ({@link
     * ServiceType#streams}).
     */
    public Optional<Duration> firstTokenTimeout() {
        return type.streams() ? settings.get(ServiceSettings.FIRST_TOKEN_TIMEOUT) : Optional.empty();
    }

    ServiceConfig withFallbackModels(Map<String, List<String>> fallbacks) {
        return new ServiceConfig(type, settings, instances, fallbacks);
    }

    /** The service with other instances, such as the ones the servers of its {@code models: auto} instances listed. */
    public ServiceConfig withInstances(List<Instance> others) {
        return new ServiceConfig(type, settings, others, fallbackModels);
    }

    /** The service's policies alone: what its models' clusters share, whatever instances it lists. */
    public ServiceConfig withoutInstances() {
        return new ServiceConfig(type, settings, List.of(), fallbackModels);
    }
}
