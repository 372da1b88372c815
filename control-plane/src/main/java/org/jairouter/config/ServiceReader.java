package org.jairouter.config;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** {@code model.services.<service>}: a service's own policies, each defaulting to the model's, and its instances. */
final class ServiceReader {
    private static final Set<String> KEYS = Set.of(
            "load-balance",
            "instances",
            "health-check",
            "retry",
            "adapter",
            "rate-limit",
            "circuit-breaker",
            "fallback-models",
            "fallback");

    private ServiceReader() {}

    /** A service as read, and its {@code fallback-models}, which can be checked only once every service is read. */
    record Read(ServiceConfig config, Optional<YamlSection> fallbackModels) {}

    static Read read(ServiceType type, YamlSection service, ServiceDefaults defaults) {
        Map<String, YamlSection> entries = service.entries(KEYS, Set.of());
        Optional.ofNullable(entries.get("fallback")).ifPresent(FallbackReader::read);
        LoadBalancing loadBalancing = Optional.ofNullable(entries.get("load-balance"))
                .map(lb -> LoadBalanceReader.read(lb, defaults.loadBalancing()))
                .orElse(defaults.loadBalancing());
        HealthCheck healthCheck = Optional.ofNullable(entries.get("health-check"))
                .map(h -> HealthCheckReader.read(h, defaults.healthCheck()))
                .orElse(defaults.healthCheck());
        RetryPolicy retry = Optional.ofNullable(entries.get("retry"))
                .map(r -> RetryReader.read(r, defaults.retry()))
                .orElse(defaults.retry());
        RateLimit rateLimit = Optional.ofNullable(entries.get("rate-limit"))
                .map(r -> RateLimitReader.read(r, defaults.rateLimit()))
                .orElse(defaults.rateLimit());
        CircuitBreaker circuitBreaker = Optional.ofNullable(entries.get("circuit-breaker"))
                .map(c -> CircuitBreakerReader.read(c, defaults.circuitBreaker()))
                .orElse(defaults.circuitBreaker());
        Adapter adapter = Optional.ofNullable(entries.get("adapter"))
                .flatMap(AdapterReader::read)
                .orElse(defaults.adapter());
        RepeatedInstances instances = new RepeatedInstances();
        for (YamlSection item : Optional.ofNullable(entries.get("instances"))
                .map(YamlSection::items)
                .orElse(List.of())) {
            InstanceReader.read(type, item, adapter).forEach(instance -> instances.add(instance, item));
        }
        return new Read(
                new ServiceConfig(
                        type,
                        loadBalancing,
                        healthCheck,
                        retry,
                        rateLimit,
                        circuitBreaker,
                        instances.instances(),
                        Map.of()),
                Optional.ofNullable(entries.get("fallback-models")));
    }
}
