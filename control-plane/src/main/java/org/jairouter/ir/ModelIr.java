package org.jairouter.ir;

import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jairouter.config.ExtraEndpoint;
import org.jairouter.config.Instance;

/**
 * One model as one service serves it.
 *
 * @param name             the model's name, as requests ask for it
 * @param cluster          the cluster of the model's own instances
 * @param routedCluster    where the model's route sends its requests: the aggregate over its fallback chain
 *                         when it has fallbacks, else {@code cluster}
 * @param gate             the saturation gate (a cluster and an internal listener of the same name) through
 *                         which a fallback chain enters this model when the model may be full; empty when none
 * @param lowPriorityGate  the gate (a cluster and an internal listener of the same name) through which low-priority
 *                         requests (of low-priority keys, or asking for it) enter this model: its cluster admits
 *                         the low-priority share of the model's max-concurrent-requests, its route leads where the
 *                         model's route does; empty when the model has no cap
 * @param fallbackChain    the models that serve its requests, in order: itself, then its fallbacks with active
 *                         instances (depth first, each once)
 * @param chainClusters    the aggregate's members when it has fallbacks: each chain model's gate, or its own
 *                         cluster (always for the last); empty without fallbacks
 * @param instances        its active instances, in config order
 * @param chainInstances   the active instances of every model of its chain ({@code instances} without fallbacks)
 * @param inFallbackChain  it has fallbacks or is another model's fallback: its endpoints carry its name
 * @param gatesInChain     how many of its chain's models are entered through a gate: each may cost a retry
 * @param extraEndpoints   the service's other APIs the model is served on, each with the distinct paths the
 *                         instances of its chain serve it at ({@link ExtraEndpoints#of})
 */
public record ModelIr(
        String name,
        String cluster,
        String routedCluster,
        Optional<String> gate,
        Optional<String> lowPriorityGate,
        List<String> fallbackChain,
        List<String> chainClusters,
        List<Instance> instances,
        List<Instance> chainInstances,
        boolean inFallbackChain,
        int gatesInChain,
        Map<ExtraEndpoint, List<String>> extraEndpoints) {

    public ModelIr {
        fallbackChain = List.copyOf(fallbackChain);
        chainClusters = List.copyOf(chainClusters);
        instances = List.copyOf(instances);
        chainInstances = List.copyOf(chainInstances);
        Map<ExtraEndpoint, List<String>> apis = new EnumMap<>(ExtraEndpoint.class);
        extraEndpoints.forEach((api, paths) -> apis.put(api, List.copyOf(paths)));
        extraEndpoints = Collections.unmodifiableMap(apis);
    }

    /**
     * True when its route cannot rewrite the path for every instance of its chain at once: the routed
     * cluster's upstream filter gives each instance its own ({@link ExtraEndpoints#pathsPerInstance}).
     */
    public boolean pathsPerInstance() {
        return ExtraEndpoints.pathsPerInstance(chainInstances);
    }

    /** True when requests for it may move on to another model. */
    public boolean hasFallbacks() {
        return fallbackChain.size() > 1;
    }

    /** The endpoint of one of its instances in its own cluster. */
    public EndpointId endpoint(Instance instance) {
        return EndpointId.of(cluster, instance);
    }
}
