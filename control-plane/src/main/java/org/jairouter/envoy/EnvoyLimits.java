package org.jairouter.envoy;

/**
 * What Envoy's overload manager protects, set in the bootstrap (so they apply when Envoy starts).
 *
 * @param maxHeapBytes   Envoy's heap budget: near it Envoy frees cached memory, then resets the streams
 *                       holding the most memory, and at 98% answers new requests with 503
 * @param maxConnections client connections Envoy accepts at once, all listeners together
 */
public record EnvoyLimits(long maxHeapBytes, int maxConnections) {
    public static final EnvoyLimits DEFAULT = new EnvoyLimits(2L << 30, 50_000);

    public EnvoyLimits {
        if (maxHeapBytes < 64L << 20) {
            throw new IllegalArgumentException("Envoy's heap limit must be at least 64 MiB, got " + maxHeapBytes);
        }
        if (maxConnections < 1) {
            throw new IllegalArgumentException("Envoy's connection limit must be at least 1, got " + maxConnections);
        }
    }
}
