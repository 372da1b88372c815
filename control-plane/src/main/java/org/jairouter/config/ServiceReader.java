package org.jairouter.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
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
            "response-timeout",
            "adapter",
            "rate-limit",
            "circuit-breaker",
            "fallback-models");
    /** JAiRouter keys that are valid but not acted on yet: accepted with a warning. */
    private static final Set<String> IGNORED_KEYS = Set.of("fallback");

    private ServiceReader() {}

    /** A service as read, and its {@code fallback-models}, which can be checked only once every service is read. */
    record Read(ServiceConfig config, Optional<YamlSection> fallbackModels) {}

    static Read read(ServiceType type, YamlSection service, ServiceDefaults defaults) {
        Map<String, YamlSection> entries = service.entries(KEYS, IGNORED_KEYS);
        LoadBalancing loadBalancing = Optional.ofNullable(entries.get("load-balance"))
                .map(lb -> LoadBalanceReader.read(lb, defaults.loadBalancing()))
                .orElse(defaults.loadBalancing());
        HealthCheck healthCheck = Optional.ofNullable(entries.get("health-check"))
                .map(h -> HealthCheckReader.read(h, defaults.healthCheck()))
                .orElse(defaults.healthCheck());
        RetryPolicy retry = Optional.ofNullable(entries.get("retry"))
                .map(r -> RetryReader.read(r, defaults.retry()))
                .orElse(defaults.retry());
        Duration responseTimeout = Optional.ofNullable(entries.get("response-timeout"))
                .flatMap(ResponseTimeoutReader::read)
                .or(defaults::responseTimeout)
                .orElse(type.defaultResponseTimeout());
        RateLimit rateLimit = Optional.ofNullable(entries.get("rate-limit"))
                .map(r -> RateLimitReader.read(r, defaults.rateLimit()))
                .orElse(defaults.rateLimit());
        CircuitBreaker circuitBreaker = Optional.ofNullable(entries.get("circuit-breaker"))
                .map(c -> CircuitBreakerReader.read(c, defaults.circuitBreaker()))
                .orElse(defaults.circuitBreaker());
        Adapter adapter = Optional.ofNullable(entries.get("adapter"))
                .flatMap(AdapterReader::read)
                .orElse(defaults.adapter());
        List<Instance> instances = new ArrayList<>();
        Set<Served> seen = new HashSet<>();
        for (YamlSection item : Optional.ofNullable(entries.get("instances"))
                .map(YamlSection::items)
                .orElse(List.of())) {
            InstanceReader.read(type, item, adapter).forEach(instance -> {
                // By endpoint, not by base-url text: http://h, http://h:80 and http://h/ are one backend.
                if (!seen.add(Served.by(instance))) {
                    item.error("duplicate instance: model '" + instance.model() + "' at " + instance.baseUrl()
                            + instance.upstreamPath() + " is listed twice");
                } else {
                    instances.add(instance);
                }
            });
        }
        return new Read(
                new ServiceConfig(
                        type,
                        loadBalancing,
                        healthCheck,
                        retry,
                        rateLimit,
                        circuitBreaker,
                        responseTimeout,
                        instances,
                        Map.of()),
                Optional.ofNullable(entries.get("fallback-models")));
    }

    /**
     * Model and endpoint as the Host header names it, a port only when it is not the scheme's default
     * ({@link Instance#authority()} without building its text: at 10,000 instances every edit checks them all).
     */
    private record Served(String model, String host, int port, String path) {
        static Served by(Instance instance) {
            boolean defaultPort = instance.port() == (instance.tls() ? 443 : 80);
            return new Served(
                    instance.model(), instance.host(), defaultPort ? 0 : instance.port(), instance.upstreamPath());
        }
    }
}
