package org.jairouter.config;

import java.time.Duration;
import java.util.Optional;

/**
 * How Envoy actively checks a service's instances.
 *
 * @param path the HTTP path to GET; empty means "the models path derived from the instances' paths"
 */
public record HealthCheck(Type type, Optional<String> path, Duration interval, Duration timeout,
                          int unhealthyThreshold, int healthyThreshold) {
    public enum Type {
        /** HTTP on the instances' models path where one can be derived, TCP otherwise. */
        AUTO,
        HTTP,
        TCP,
        NONE
    }

    public static final HealthCheck DEFAULT = new HealthCheck(Type.AUTO, Optional.empty(), Duration.ofSeconds(10),
            Duration.ofSeconds(3), 3, 1);
}
