package org.jairouter.config;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A {@code health-check} section, model-wide or per service; each key it leaves out keeps the inherited value. */
final class HealthCheckReader {
    private static final Set<String> KEYS =
            Set.of("type", "path", "interval", "timeout", "unhealthy-threshold", "healthy-threshold");
    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})\\s*(ms|s|m)");

    private HealthCheckReader() {}

    static HealthCheck read(YamlSection section, HealthCheck inherited) {
        Map<String, YamlSection> entries = section.entries(KEYS, Set.of());
        HealthCheck.Type type = Optional.ofNullable(entries.get("type"))
                .flatMap(t -> t.text().flatMap(name -> {
                    try {
                        return Optional.of(HealthCheck.Type.valueOf(name.toUpperCase(Locale.ROOT)));
                    } catch (IllegalArgumentException unknown) {
                        t.error("unknown health-check type '" + name + "'; expected one of auto, http, tcp, none");
                        return Optional.empty();
                    }
                }))
                .orElse(inherited.type());
        Optional<String> path =
                Optional.ofNullable(entries.get("path")).map(YamlSection::path).orElse(inherited.path());
        Duration interval = Optional.ofNullable(entries.get("interval"))
                .flatMap(HealthCheckReader::readDuration)
                .orElse(inherited.interval());
        Duration timeout = Optional.ofNullable(entries.get("timeout"))
                .flatMap(HealthCheckReader::readDuration)
                .orElse(inherited.timeout());
        int unhealthy = Optional.ofNullable(entries.get("unhealthy-threshold"))
                .flatMap(n -> n.integer(1, 100))
                .orElse(inherited.unhealthyThreshold());
        int healthy = Optional.ofNullable(entries.get("healthy-threshold"))
                .flatMap(n -> n.integer(1, 100))
                .orElse(inherited.healthyThreshold());
        return HealthCheck.builder()
                .type(type)
                .path(path)
                .interval(interval)
                .timeout(timeout)
                .unhealthyThreshold(unhealthy)
                .healthyThreshold(healthy)
                .build();
    }

    /** A duration as 500ms, 5s or 2m. */
    static Optional<Duration> readDuration(YamlSection section) {
        return section.text().flatMap(text -> {
            Matcher m = DURATION.matcher(text);
            if (m.matches()) {
                long amount = Long.parseLong(m.group(1));
                Duration duration = switch (m.group(2)) {
                    case "ms" -> Duration.ofMillis(amount);
                    case "s" -> Duration.ofSeconds(amount);
                    default -> Duration.ofMinutes(amount);
                };
                if (!duration.isZero()) {
                    return Optional.of(duration);
                }
            }
            section.error("expected a duration such as 500ms, 5s or 2m, got '" + text + "'");
            return Optional.empty();
        });
    }
}
