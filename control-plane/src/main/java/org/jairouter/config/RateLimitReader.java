package org.jairouter.config;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** A {@code rate-limit} section, model-wide or per service; each key it leaves out keeps the inherited value. */
final class RateLimitReader {
    static final Set<String> KEYS = Set.of("enabled", "algorithm", "capacity", "rate", "scope", "client-ip-enable");
    /** JAiRouter's custom limit key (a SpEL-like expression) has no counterpart here. */
    static final Set<String> IGNORED_KEYS = Set.of("key");

    private RateLimitReader() {}

    static RateLimit read(YamlSection section, RateLimit inherited) {
        Map<String, YamlSection> entries = section.entries(KEYS, IGNORED_KEYS);
        boolean enabled = Optional.ofNullable(entries.get("enabled"))
                .flatMap(YamlSection::bool)
                .orElse(inherited.enabled());
        RateLimit.Algorithm algorithm = Optional.ofNullable(entries.get("algorithm"))
                .flatMap(a -> a.text()
                        .flatMap(text -> RateLimit.Algorithm.fromKey(text).or(() -> {
                            a.error("unknown algorithm '" + text + "'; expected one of "
                                    + String.join(
                                            ", ",
                                            Arrays.stream(RateLimit.Algorithm.values())
                                                    .map(RateLimit.Algorithm::key)
                                                    .toList()));
                            return Optional.empty();
                        })))
                .orElse(inherited.algorithm());
        long capacity = Optional.ofNullable(entries.get("capacity"))
                .flatMap(n -> n.longInteger(1, 1_000_000_000))
                .orElse(inherited.capacity());
        long rate = Optional.ofNullable(entries.get("rate"))
                .flatMap(n -> n.longInteger(1, 1_000_000_000))
                .orElse(inherited.rate());
        RateLimit.Scope scope = Optional.ofNullable(entries.get("scope"))
                .flatMap(RateLimitReader::scope)
                .orElse(inherited.scope());
        // JAiRouter's switch for per-client limits is the client-ip scope here.
        boolean perClient = Optional.ofNullable(entries.get("client-ip-enable"))
                .flatMap(YamlSection::bool)
                .orElse(false);
        return new RateLimit(enabled, algorithm, capacity, rate, perClient ? RateLimit.Scope.CLIENT_IP : scope);
    }

    private static Optional<RateLimit.Scope> scope(YamlSection scope) {
        return scope.text()
                .flatMap(text -> RateLimit.Scope.fromKey(text).or(() -> {
                    scope.error(
                            text.equals("instance")
                                    ? "scope 'instance' is not supported: Envoy applies limits before it picks an instance; use"
                                            + " circuit-breaker.max-concurrent-requests to protect one instance"
                                    : "unknown scope '" + text + "'; expected one of service, model, client-ip, key");
                    return Optional.empty();
                }));
    }
}
