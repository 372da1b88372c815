package org.jairouter.status;

import java.util.List;

/**
 * A service's status. The first fields are named as JAiRouter's status JSON named them; the rest
 * extend it with what Envoy knows.
 *
 * @param live false when Envoy's admin interface could not be read: health and counts are then unknown
 */
public record ServiceReport(
        String serviceType,
        String path,
        String loadBalanceStrategy,
        List<String> availableModels,
        int totalInstances,
        boolean serviceHealthy,
        int healthyInstances,
        String healthCheck,
        boolean live,
        List<InstanceReport> instances) {

    /**
     * One instance. {@code unhealthyReason} says why an instance gets no traffic: inactive, failed
     * active health check, ejected after failed requests, or unknown to Envoy (yet).
     */
    public record InstanceReport(
            String name,
            String baseUrl,
            String path,
            int weight,
            String status,
            Boolean healthy,
            String unhealthyReason,
            long requestsActive,
            long requestsTotal,
            long requestsFailed,
            long connectFailures) {}
}
