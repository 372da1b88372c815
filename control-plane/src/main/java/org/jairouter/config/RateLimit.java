package org.jairouter.config;

import java.util.Arrays;
import java.util.Optional;

/**
 * A {@code rate-limit} section (JAiRouter's): up to {@code capacity} requests at once, refilled at
 * {@code rate} per second, counted per {@code scope}. Envoy enforces it with a token bucket in each
 * Envoy; the other algorithms map to that bucket (see {@link Algorithm}).
 */
public record RateLimit(boolean enabled, Algorithm algorithm, long capacity, long rate, Scope scope) {
    /** JAiRouter's defaults: off, token-bucket, 100, 10/s, per service. */
    public static final RateLimit DEFAULT = new RateLimit(false, Algorithm.TOKEN_BUCKET, 100, 10, Scope.SERVICE);

    /** JAiRouter's algorithms; Envoy has one, the token bucket, and each maps onto it. */
    public enum Algorithm {
        TOKEN_BUCKET("token-bucket", "exactly"),
        SLIDING_WINDOW(
                "sliding-window",
                "as a bucket of capacity refilled at rate: a burst of capacity is let"
                        + " through at once, rather than spread over the window"),
        LEAKY_BUCKET(
                "leaky-bucket",
                "as a bucket of capacity refilled at rate: requests over the rate are refused"
                        + " (429) rather than queued until the bucket drains"),
        WARM_UP(
                "warm-up",
                "as a bucket of capacity refilled at rate: the full rate applies from the start,"
                        + " without a warm-up ramp");

        private final String key;
        private final String mapping;

        Algorithm(String key, String mapping) {
            this.key = key;
            this.mapping = mapping;
        }

        public String key() {
            return key;
        }

        /** How Envoy's token bucket stands in for it, said once in the log and in docs/keys-and-budgets.md. */
        public String mapping() {
            return mapping;
        }

        static Optional<Algorithm> fromKey(String key) {
            return Arrays.stream(values()).filter(a -> a.key.equals(key)).findFirst();
        }
    }

    /** What one bucket counts. Per instance is not among them: Envoy picks the instance after the limit. */
    public enum Scope {
        SERVICE("service"),
        MODEL("model"),
        CLIENT_IP("client-ip"),
        KEY("key");

        private final String key;

        Scope(String key) {
            this.key = key;
        }

        public String key() {
            return key;
        }

        static Optional<Scope> fromKey(String key) {
            return Arrays.stream(values()).filter(s -> s.key.equals(key)).findFirst();
        }
    }
}
