package org.jairouter.ir;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jairouter.config.ExtraEndpoint;
import org.jairouter.config.Instance;
import org.jairouter.config.ServiceType;

/**
 * Which of its service's other APIs a model is served on. A model's requests may go to any instance of its
 * fallback chain, and the route rewrites the path once for all of them, so an API is served when every one of
 * those instances serves it, at one path, and:
 * <ul>
 *   <li>the instances share their service path too: otherwise the cluster's upstream filter gives each
 *       instance its own service path, whatever the API;
 *   <li>no model of the chain is entered through a saturation gate: the gate's route rewrites every path to
 *       the service path.
 * </ul>
 * An API left out is not routed to the model: its path answers 404 {@code model_not_found} for it.
 */
final class ExtraEndpoints {
    private ExtraEndpoints() {}

    static Map<ExtraEndpoint, String> of(ServiceType service, List<Instance> chainInstances, int gatesInChain) {
        Map<ExtraEndpoint, String> served = new EnumMap<>(ExtraEndpoint.class);
        boolean oneServicePath =
                chainInstances.stream().map(Instance::upstreamPath).distinct().count() == 1;
        if (!oneServicePath || gatesInChain > 0) {
            return served;
        }
        for (ExtraEndpoint endpoint : ExtraEndpoint.of(service)) {
            List<Optional<String>> paths = chainInstances.stream()
                    .map(instance -> instance.upstreamPath(endpoint))
                    .distinct()
                    .toList();
            if (paths.size() == 1 && paths.get(0).isPresent()) {
                served.put(endpoint, paths.get(0).get());
            }
        }
        return served;
    }
}
