package org.jairouter.config;

import java.time.Duration;
import java.util.Optional;

/**
 * A try's timeout, model-wide or per service: {@code response-timeout} (how long an instance may take to
 * start its answer) and {@code first-token-timeout} (to send a stream's first token) take the same range.
 */
final class ResponseTimeoutReader {
    /**
     * Below the 300 s after which Envoy ends a request silent either way (the route's idle timeout), which
     * would otherwise answer first, with 408.
     */
    static final Duration LONGEST = Duration.ofSeconds(290);

    private ResponseTimeoutReader() {}

    /** @param inherited the model section's timeout; empty for the service type's default */
    static Optional<Duration> read(YamlSection section, Optional<Duration> inherited) {
        return HealthCheckReader.readDuration(section)
                .flatMap(timeout -> {
                    if (timeout.compareTo(Duration.ofSeconds(1)) >= 0 && timeout.compareTo(LONGEST) <= 0) {
                        return Optional.of(timeout);
                    }
                    section.error("expected a duration from 1s to " + LONGEST.toSeconds() + "s, got '"
                            + section.text().orElse("") + "'");
                    return Optional.<Duration>empty();
                })
                .or(() -> inherited);
    }
}
