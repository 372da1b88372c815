package org.jairouter.config;

/**
 * Ours: what one model's Envoy cluster carries at once, over all its instances (Envoy's circuit-breaker
 * thresholds). Envoy's own defaults, 1,024 each, would refuse the 1,025th concurrent stream to a model
 * with 503; ours allow 100,000, far above what one Envoy holds (10,000 SSE streams measured in bench/).
 *
 * @param maxConnections     upstream connections to the model's instances
 * @param maxPendingRequests requests waiting for a connection
 * @param maxRequests        requests in flight
 */
public record ModelLimits(int maxConnections, int maxPendingRequests, int maxRequests) {
    public static final ModelLimits DEFAULT = new ModelLimits(100_000, 100_000, 100_000);
}
