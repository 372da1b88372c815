package org.jairouter.config;

import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** A {@code retry} section, model-wide or per service; each key it leaves out keeps the inherited value. */
final class RetryReader {
    private static final Set<String> KEYS = Set.of("attempts", "on-server-error");

    private RetryReader() {}

    static RetryPolicy read(YamlSection section, RetryPolicy inherited) {
        Map<String, YamlSection> entries = section.entries(KEYS, Set.of());
        int attempts = Optional.ofNullable(entries.get("attempts"))
                .flatMap(n -> n.integer(0, 10))
                .orElse(inherited.attempts());
        boolean onServerError = Optional.ofNullable(entries.get("on-server-error"))
                .flatMap(YamlSection::bool)
                .orElse(inherited.onServerError());
        return new RetryPolicy(attempts, onServerError);
    }
}
