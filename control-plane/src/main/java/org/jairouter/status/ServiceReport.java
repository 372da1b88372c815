package org.jairouter.status;

import java.util.List;
import java.util.Optional;
import org.jairouter.config.ApiKey;
import org.jairouter.config.ServiceType;

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
     * The service as a client key sees it: the models it may use and whether one of them has a healthy
     * instance. Instances (base-urls, paths, counts) are the operator's, not the client's.
     */
    public record ForKey(String serviceType, String path, List<String> availableModels, boolean serviceHealthy) {}

    /** @param type the service reported on */
    public ForKey forKey(ServiceType type, ApiKey key) {
        List<String> permitted = availableModels.stream()
                .filter(model -> key.mayUse(type, model))
                .toList();
        boolean healthy = instances.stream()
                .anyMatch(instance -> permitted.contains(instance.name()) && Boolean.TRUE.equals(instance.healthy()));
        return new ForKey(serviceType, path, permitted, healthy);
    }

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
            long connectFailures,
            LoadReport load) {}

    /**
     * What load-aware last read from a load-aware instance's own metrics, and what it made of it; null
     * for other instances. The signals are from the last good scrape, {@code ageSeconds} old; when the
     * latest scrape failed, {@code scrapeProblem} says why and the instance is at its full weight.
     *
     * @param sharePercent the percent of its configured weight the instance keeps for its load
     * @param envoyWeight  the weight Envoy balances on now (configured × share); empty when Envoy is not readable
     */
    public record LoadReport(
            Optional<Double> waiting,
            Optional<Double> running,
            Optional<Double> kvCachePercent,
            Optional<Double> ageSeconds,
            int sharePercent,
            Optional<Long> envoyWeight,
            Optional<String> scrapeProblem) {}
}
