package org.jairouter.config;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * {@code model}: the services and their instances, the model-wide defaults each service inherits, and
 * the CA bundle for https instances.
 */
final class ModelReader implements SectionReader<ModelReader.Model> {
    private static final Set<String> KEYS = Set.of(
            "services",
            "load-balance",
            "health-check",
            "retry",
            "tls",
            "adapter",
            "rate-limit",
            "circuit-breaker",
            "fallback");
    /** JAiRouter keys that are valid but not acted on yet: accepted with a warning. */
    private static final Set<String> IGNORED_KEYS = Set.of("adapter-definitions", "pools", "rules");

    /** What the model section configures. */
    record Model(Map<ServiceType, ServiceConfig> services, String upstreamCaFile) {}

    @Override
    public String key() {
        return "model";
    }

    @Override
    public Model absent(YamlSection root) {
        root.error("missing key 'model'; expected model.services with at least one service");
        return new Model(Map.of(), RouterConfig.DEFAULT_CA_FILE);
    }

    @Override
    public Model read(YamlSection model) {
        Map<String, YamlSection> entries = model.entries(KEYS, IGNORED_KEYS);
        Optional.ofNullable(entries.get("fallback")).ifPresent(FallbackReader::read);
        String caFile = Optional.ofNullable(entries.get("tls"))
                .flatMap(TlsReader::caFile)
                .orElse(RouterConfig.DEFAULT_CA_FILE);
        LoadBalancing loadBalancing = Optional.ofNullable(entries.get("load-balance"))
                .map(lb -> LoadBalanceReader.read(lb, LoadBalancing.DEFAULT))
                .orElse(LoadBalancing.DEFAULT);
        YamlSection services = entries.get("services");
        if (services == null) {
            model.error("missing key 'services'; expected at least one of " + String.join(", ", ServiceType.keys()));
            return new Model(Map.of(), caFile);
        }
        // Read only after the services' own load-balance key: problems keep the order they have always had.
        Function<LoadBalancing, ServiceDefaults> defaults = servicesLoadBalancing -> new ServiceDefaults(
                servicesLoadBalancing,
                Optional.ofNullable(entries.get("health-check"))
                        .map(h -> HealthCheckReader.read(h, HealthCheck.DEFAULT))
                        .orElse(HealthCheck.DEFAULT),
                Optional.ofNullable(entries.get("retry"))
                        .map(r -> RetryReader.read(r, RetryPolicy.DEFAULT))
                        .orElse(RetryPolicy.DEFAULT),
                Optional.ofNullable(entries.get("adapter"))
                        .flatMap(AdapterReader::read)
                        .orElse(Adapter.NORMAL),
                Optional.ofNullable(entries.get("rate-limit"))
                        .map(r -> RateLimitReader.read(r, RateLimit.DEFAULT))
                        .orElse(RateLimit.DEFAULT),
                Optional.ofNullable(entries.get("circuit-breaker"))
                        .map(c -> CircuitBreakerReader.read(c, CircuitBreaker.DEFAULT))
                        .orElse(CircuitBreaker.DEFAULT));
        return new Model(ServicesReader.read(services, loadBalancing, defaults), caFile);
    }
}
