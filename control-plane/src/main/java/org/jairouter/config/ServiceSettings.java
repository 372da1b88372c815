package org.jairouter.config;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The settings a service inherits from the model section unless it sets its own: the table of every
 * {@link InheritedSetting}, and one service's values of them.
 *
 * <p>A new inheritable setting is its record and reader, and one constant here listed in {@link #ALL}:
 * both levels then accept its key and read it, and the translator finds its value with {@link #get}.
 */
public final class ServiceSettings {
    public static final InheritedSetting<LoadBalancing> LOAD_BALANCE =
            new InheritedSetting<>("load-balance", LoadBalancing.DEFAULT, LoadBalanceReader::read);
    public static final InheritedSetting<HealthCheck> HEALTH_CHECK =
            new InheritedSetting<>("health-check", HealthCheck.DEFAULT, HealthCheckReader::read);
    public static final InheritedSetting<RetryPolicy> RETRY =
            new InheritedSetting<>("retry", RetryPolicy.DEFAULT, RetryReader::read);
    public static final InheritedSetting<RateLimit> RATE_LIMIT =
            new InheritedSetting<>("rate-limit", RateLimit.DEFAULT, RateLimitReader::read);
    public static final InheritedSetting<CircuitBreaker> CIRCUIT_BREAKER =
            new InheritedSetting<>("circuit-breaker", CircuitBreaker.DEFAULT, CircuitBreakerReader::read);
    /** Also inherited by each instance, which may name its own. */
    public static final InheritedSetting<Adapter> ADAPTER = new InheritedSetting<>(
            "adapter",
            Adapter.NORMAL,
            (section, inherited) -> AdapterReader.read(section).orElse(inherited));

    /** How long each try may wait for the instance's response headers; empty for the service type's default. */
    public static final InheritedSetting<Optional<Duration>> RESPONSE_TIMEOUT =
            new InheritedSetting<>("response-timeout", Optional.empty(), ResponseTimeoutReader::read);

    /** How long each try of a streamed request may wait for its first token; empty for no such limit. */
    public static final InheritedSetting<Optional<Duration>> FIRST_TOKEN_TIMEOUT =
            new InheritedSetting<>("first-token-timeout", Optional.empty(), ResponseTimeoutReader::read);

    /** Every inheritable setting, in the order a section's keys are read (and so its problems reported). */
    static final List<InheritedSetting<?>> ALL = List.of(
            LOAD_BALANCE,
            HEALTH_CHECK,
            RETRY,
            RATE_LIMIT,
            CIRCUIT_BREAKER,
            ADAPTER,
            RESPONSE_TIMEOUT,
            FIRST_TOKEN_TIMEOUT);

    /** Every setting at its default. */
    static final ServiceSettings DEFAULTS = defaults();

    private final Map<InheritedSetting<?>, Object> values;

    private ServiceSettings(Map<InheritedSetting<?>, Object> values) {
        this.values = values;
    }

    private static ServiceSettings defaults() {
        Map<InheritedSetting<?>, Object> values = new LinkedHashMap<>();
        ALL.forEach(setting -> values.put(setting, setting.defaultValue()));
        return new ServiceSettings(values);
    }

    @SuppressWarnings("unchecked") // each value was put under its own setting
    public <T> T get(InheritedSetting<T> setting) {
        return (T) values.get(setting);
    }

    /** These settings with one value replaced. */
    <T> ServiceSettings with(InheritedSetting<T> setting, T value) {
        Map<InheritedSetting<?>, Object> changed = new LinkedHashMap<>(values);
        changed.put(setting, value);
        return new ServiceSettings(changed);
    }

    /** What a section's entries make of these settings: each key present is read over the value here. */
    ServiceSettings readOver(Map<String, YamlSection> entries) {
        Map<InheritedSetting<?>, Object> read = new LinkedHashMap<>();
        ALL.forEach(setting -> read.put(setting, readOne(setting, entries)));
        return new ServiceSettings(read);
    }

    private <T> T readOne(InheritedSetting<T> setting, Map<String, YamlSection> entries) {
        return setting.readFrom(entries, get(setting));
    }

    /** The keys of every inheritable setting. */
    static List<String> keys() {
        return ALL.stream().map(InheritedSetting::key).toList();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ServiceSettings settings && values.equals(settings.values);
    }

    @Override
    public int hashCode() {
        return values.hashCode();
    }

    @Override
    public String toString() {
        return values.toString();
    }
}
