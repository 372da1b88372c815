package org.jairouter.config;

import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * JAiRouter's {@code fallback} (model-wide or per service): what a client gets when a service cannot
 * answer. Its {@code strategy: default} (DefaultFallbackStrategy) answers 503 "Service is currently
 * degraded, please try again later"; this router already answers 503 then, with the same meaning in an
 * OpenAI error body that the SDKs can read, so {@code default} is honoured as it stands and needs no
 * warning. {@code strategy: cache} replays a model's earlier replies to new requests; Envoy keeps no
 * such cache, and a stale answer to another prompt is not an answer, so it is named in a warning.
 */
final class FallbackReader {
    private static final Set<String> KEYS = Set.of("enabled", "strategy", "cache-size", "cache-ttl");

    private FallbackReader() {}

    static void read(YamlSection fallback) {
        Map<String, YamlSection> entries = fallback.entries(KEYS, Set.of());
        boolean enabled = Optional.ofNullable(entries.get("enabled"))
                .flatMap(YamlSection::bool)
                .orElse(false);
        Optional.ofNullable(entries.get("cache-size")).ifPresent(size -> size.integer(1, Integer.MAX_VALUE));
        Optional.ofNullable(entries.get("cache-ttl")).ifPresent(ttl -> ttl.longInteger(1, Long.MAX_VALUE));
        Optional<YamlSection> strategy = Optional.ofNullable(entries.get("strategy"));
        strategy.flatMap(YamlSection::text).ifPresent(name -> {
            switch (name) {
                case "default" -> {
                    // Honoured: a service that cannot answer is a 503 here too.
                }
                case "cache" -> {
                    if (enabled) {
                        strategy.get()
                                .warn(
                                        "JAiRouter's cache fallback (earlier replies replayed when a service fails) is not"
                                                + " done here: a failing service answers 503, as with strategy default");
                    }
                }
                default -> strategy.get().error("unknown fallback strategy '" + name + "'; expected default or cache");
            }
        });
    }
}
