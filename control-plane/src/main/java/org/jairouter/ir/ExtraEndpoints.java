package org.jairouter.ir;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jairouter.config.ExtraEndpoint;
import org.jairouter.config.Instance;
import org.jairouter.config.ServiceType;

/**
 * Which of its service's other APIs a model is served on, and at which paths. A model's requests may go to
 * any instance of its fallback chain, so an API is served when every one of those instances serves it (its
 * adapter's table or its own {@code paths}), and no model of the chain is entered through a saturation gate:
 * the gate's route rewrites every path to the service path. The instances may serve it at different paths
 * (base-url prefixes, their own {@code paths}): the cluster's upstream filter then gives each its own.
 * An API left out is not routed to the model: its path answers 404 {@code model_not_found} for it.
 */
public final class ExtraEndpoints {
    private ExtraEndpoints() {}

    /** Per API served, the distinct paths the chain's instances serve it at, in instance order. */
    static Map<ExtraEndpoint, List<String>> of(ServiceType service, List<Instance> chainInstances, int gatesInChain) {
        Map<ExtraEndpoint, List<String>> served = new EnumMap<>(ExtraEndpoint.class);
        if (gatesInChain > 0) {
            return served;
        }
        for (ExtraEndpoint endpoint : ExtraEndpoint.of(service)) {
            paths(endpoint, chainInstances).ifPresent(paths -> served.put(endpoint, paths));
        }
        return served;
    }

    /**
     * True when the instances are called on different paths for one request: their service paths differ, or
     * those of an API every one of them serves. A route can rewrite the path once for all instances; these
     * need the cluster's upstream filter, which rewrites it after the instance is chosen.
     */
    public static boolean pathsPerInstance(List<Instance> instances) {
        if (instances.stream().map(Instance::upstreamPath).distinct().count() > 1) {
            return true;
        }
        for (ExtraEndpoint endpoint : ExtraEndpoint.values()) {
            if (paths(endpoint, instances).map(List::size).orElse(0) > 1) {
                return true;
            }
        }
        return false;
    }

    /** The service's other APIs every one of the instances serves, in the order their routes are made. */
    public static List<ExtraEndpoint> servedByAll(ServiceType service, List<Instance> instances) {
        return ExtraEndpoint.of(service).stream()
                .filter(api -> paths(api, instances).isPresent())
                .toList();
    }

    /** The distinct paths the instances serve the API at; empty unless every one of them serves it. */
    private static Optional<List<String>> paths(ExtraEndpoint endpoint, List<Instance> instances) {
        List<Optional<String>> paths =
                instances.stream().map(i -> i.upstreamPath(endpoint)).distinct().toList();
        if (paths.isEmpty() || paths.stream().anyMatch(Optional::isEmpty)) {
            return Optional.empty();
        }
        return Optional.of(paths.stream().map(Optional::get).toList());
    }
}
