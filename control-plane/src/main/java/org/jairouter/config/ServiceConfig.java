package org.jairouter.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A service's policies and its instances, in config order. */
public record ServiceConfig(
        ServiceType type,
        LoadBalancing loadBalancing,
        HealthCheck healthCheck,
        RetryPolicy retry,
        RateLimit rateLimit,
        CircuitBreaker circuitBreaker,
        List<Instance> instances) {

    public ServiceConfig {
        instances = List.copyOf(instances);
    }

    /** The service's policies alone: what its models' clusters share, whatever instances it lists. */
    public ServiceConfig withoutInstances() {
        return new ServiceConfig(type, loadBalancing, healthCheck, retry, rateLimit, circuitBreaker, List.of());
    }

    /** Active instances grouped by the model they serve, models in order of first appearance. */
    public Map<String, List<Instance>> activeInstancesByModel() {
        Map<String, List<Instance>> byModel = new LinkedHashMap<>();
        for (Instance instance : instances.stream().filter(Instance::active).toList()) {
            byModel.computeIfAbsent(instance.model(), m -> new ArrayList<>()).add(instance);
        }
        return byModel;
    }
}
