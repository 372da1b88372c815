package org.jairouter.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A service's policies and its instances, in config order.
 *
 * @param responseTimeout how long each try may wait for an instance's response headers ({@code
 *     response-timeout}); a stream, once started, is not bound by it
 * @param fallbackModels per model, the models of this service to use when it has no healthy instance
 *     ({@code fallback-models}); validated to name known models and to hold no cycle
 * @param activeInstancesByModel the active instances grouped by the model they serve, models in order of
 *     first appearance; always derived from {@code instances} (whatever is passed): the translator and the
 *     metrics ask for it several times per model on every edit, and at 10,000 instances grouping them each
 *     time was a tenth of an edit's CPU
 */
public record ServiceConfig(
        ServiceType type,
        LoadBalancing loadBalancing,
        HealthCheck healthCheck,
        RetryPolicy retry,
        RateLimit rateLimit,
        CircuitBreaker circuitBreaker,
        Duration responseTimeout,
        List<Instance> instances,
        Map<String, List<String>> fallbackModels,
        Map<String, List<Instance>> activeInstancesByModel) {

    public ServiceConfig {
        instances = List.copyOf(instances);
        fallbackModels = fallbackModels.entrySet().stream()
                .collect(Collectors.toUnmodifiableMap(Map.Entry::getKey, e -> List.copyOf(e.getValue())));
        activeInstancesByModel = activeByModel(instances);
    }

    public ServiceConfig(
            ServiceType type,
            LoadBalancing loadBalancing,
            HealthCheck healthCheck,
            RetryPolicy retry,
            RateLimit rateLimit,
            CircuitBreaker circuitBreaker,
            Duration responseTimeout,
            List<Instance> instances,
            Map<String, List<String>> fallbackModels) {
        this(
                type,
                loadBalancing,
                healthCheck,
                retry,
                rateLimit,
                circuitBreaker,
                responseTimeout,
                instances,
                fallbackModels,
                Map.of());
    }

    ServiceConfig withFallbackModels(Map<String, List<String>> fallbacks) {
        return new ServiceConfig(
                type,
                loadBalancing,
                healthCheck,
                retry,
                rateLimit,
                circuitBreaker,
                responseTimeout,
                instances,
                fallbacks);
    }

    /**
     * The models that serve requests for {@code model}, in order: the model itself, then its fallbacks,
     * each followed by its own (depth first, each model once). Only models with an active instance
     * count; a model without fallbacks gives just itself.
     *
     * @param model a model with an active instance
     */
    public List<String> fallbackChain(String model) {
        // Asked for every model on every translation: without fallbacks there is nothing to look up (grouping
        // the instances for each of 1,000 models was most of an edit's CPU at 10,000 instances).
        if (!fallbackModels.containsKey(model)) {
            return List.of(model);
        }
        Set<String> chain = new LinkedHashSet<>();
        addWithFallbacks(model, chain);
        chain.retainAll(activeInstancesByModel().keySet());
        return List.copyOf(chain);
    }

    /** True when the model is in another model's fallback chain, or has fallbacks of its own. */
    public boolean inFallbackChain(String model) {
        return fallbackModels.containsKey(model)
                || fallbackModels.values().stream().anyMatch(list -> list.contains(model));
    }

    private void addWithFallbacks(String model, Set<String> chain) {
        if (chain.add(model)) {
            fallbackModels.getOrDefault(model, List.of()).forEach(next -> addWithFallbacks(next, chain));
        }
    }

    /** The service's policies alone: what its models' clusters share, whatever instances it lists. */
    public ServiceConfig withoutInstances() {
        return new ServiceConfig(
                type,
                loadBalancing,
                healthCheck,
                retry,
                rateLimit,
                circuitBreaker,
                responseTimeout,
                List.of(),
                fallbackModels);
    }

    private static Map<String, List<Instance>> activeByModel(List<Instance> instances) {
        Map<String, List<Instance>> byModel = new LinkedHashMap<>();
        for (Instance instance : instances) {
            if (instance.active()) {
                byModel.computeIfAbsent(instance.model(), m -> new ArrayList<>())
                        .add(instance);
            }
        }
        byModel.replaceAll((model, list) -> Collections.unmodifiableList(list));
        return Collections.unmodifiableMap(byModel);
    }
}
