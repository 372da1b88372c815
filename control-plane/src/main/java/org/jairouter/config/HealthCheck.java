package org.jairouter.config;

import java.time.Duration;
import java.util.Optional;

/**
 * How Envoy actively checks a service's instances.
 *
 * @param path the HTTP path to GET; empty means "the models path derived from the instances' paths"
 */
public record HealthCheck(
        Type type,
        Optional<String> path,
        Duration interval,
        Duration timeout,
        int unhealthyThreshold,
        int healthyThreshold) {
    public enum Type {
        /** HTTP on the instances' models path where one can be derived, TCP otherwise. */
        AUTO,
        HTTP,
        TCP,
        NONE
    }

    public static final HealthCheck DEFAULT = builder().build();

    /** Starts from the defaults: auto, every 10 s, 3 s timeout, unhealthy after 3 failures, healthy after 1 pass. */
    public static Builder builder() {
        return new Builder();
    }

    /** Names each field at the call site (two durations and two thresholds are easy to swap). */
    public static final class Builder {
        private Type type = Type.AUTO;
        private Optional<String> path = Optional.empty();
        private Duration interval = Duration.ofSeconds(10);
        private Duration timeout = Duration.ofSeconds(3);
        private int unhealthyThreshold = 3;
        private int healthyThreshold = 1;

        private Builder() {}

        public Builder type(Type type) {
            this.type = type;
            return this;
        }

        public Builder path(Optional<String> path) {
            this.path = path;
            return this;
        }

        public Builder interval(Duration interval) {
            this.interval = interval;
            return this;
        }

        public Builder timeout(Duration timeout) {
            this.timeout = timeout;
            return this;
        }

        public Builder unhealthyThreshold(int unhealthyThreshold) {
            this.unhealthyThreshold = unhealthyThreshold;
            return this;
        }

        public Builder healthyThreshold(int healthyThreshold) {
            this.healthyThreshold = healthyThreshold;
            return this;
        }

        public HealthCheck build() {
            return new HealthCheck(type, path, interval, timeout, unhealthyThreshold, healthyThreshold);
        }
    }
}
