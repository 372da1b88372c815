package org.jairouter.config;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * JAiRouter's load-balancing policies; every one honours instance weights. {@code load-aware} is ours:
 * least-connections steered by what the model servers report about their own queues.
 */
public enum LoadBalancePolicy {
    RANDOM("random"),
    ROUND_ROBIN("round-robin"),
    LEAST_CONNECTIONS("least-connections"),
    IP_HASH("ip-hash", "consistent-hash"),
    LOAD_AWARE("load-aware");

    private final String key;
    private final List<String> aliases;

    LoadBalancePolicy(String key, String... aliases) {
        this.key = key;
        this.aliases = List.of(aliases);
    }

    public String key() {
        return key;
    }

    public static Optional<LoadBalancePolicy> fromKey(String key) {
        return Arrays.stream(values())
                .filter(p -> p.key.equals(key) || p.aliases.contains(key))
                .findFirst();
    }

    public static List<String> keys() {
        return Arrays.stream(values())
                .flatMap(p -> java.util.stream.Stream.concat(java.util.stream.Stream.of(p.key), p.aliases.stream()))
                .toList();
    }
}
