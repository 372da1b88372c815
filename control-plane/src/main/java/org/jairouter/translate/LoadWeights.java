package org.jairouter.translate;

import java.util.Map;
import org.jairouter.ir.EndpointId;

/**
 * What {@code load-aware} has learnt from the model servers, as an input of the translator (like
 * {@link ResolvedHosts}, so that it stays a pure function): per endpoint, the share of its configured
 * weight it gets, from 1 to {@value #FULL} percent. An endpoint without a share gets the full weight:
 * an instance whose metrics are missing or stale is balanced on requests in flight alone, never
 * starved.
 */
public record LoadWeights(Map<EndpointId, Integer> shareByEndpoint) {
    public static final int FULL = 100;
    public static final LoadWeights NONE = new LoadWeights(Map.of());

    public LoadWeights {
        shareByEndpoint.values().forEach(share -> {
            if (share < 1 || share > FULL) {
                throw new IllegalArgumentException("a share is 1 to " + FULL + ", got " + share);
            }
        });
        shareByEndpoint = Map.copyOf(shareByEndpoint);
    }

    /** The endpoint's weight: the configured one scaled by its share, so idle instances keep their ratio. */
    int weight(EndpointId endpoint, int configured) {
        return configured * shareByEndpoint.getOrDefault(endpoint, FULL);
    }
}
