package org.jairouter.ir;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.jairouter.config.ExtraEndpoint;
import org.jairouter.config.Instance;

/**
 * Where a request naming a stored response by id (GET /v1/responses/{id}, POST /v1/responses/{id}/cancel)
 * is sent: a model server keeps the responses it made to itself, and these requests name no model, so the
 * router asks every instance serving the Responses API in turn until one knows the id (docs/design.md,
 * "Responses API state").
 *
 * @param cluster   the cluster of those instances; '~' is never kept in a model's cluster name, so no model's
 *                  can be this
 * @param instances each server once (by authority and base path), in config order
 * @param path      the path every one of them serves the Responses API at
 */
public record ResponsesLookup(String cluster, List<Instance> instances, String path) {
    public static final String CLUSTER = "chat~~responses";

    public ResponsesLookup {
        instances = List.copyOf(instances);
    }

    /**
     * The lookup over the service's models served on the Responses API; empty when there are none, or when
     * their servers serve it at different paths (one route rewrites the path for all of them).
     */
    static Optional<ResponsesLookup> of(ServiceIr service) {
        Set<String> servers = new LinkedHashSet<>();
        List<Instance> instances = new ArrayList<>();
        for (ModelIr model : service.models().values()) {
            if (!model.extraEndpoints().containsKey(ExtraEndpoint.RESPONSES)) {
                continue;
            }
            for (Instance instance : model.instances()) {
                if (servers.add(instance.authority() + instance.basePath())) {
                    instances.add(instance);
                }
            }
        }
        List<String> paths = instances.stream()
                .map(instance -> instance.upstreamPath(ExtraEndpoint.RESPONSES).orElseThrow())
                .distinct()
                .toList();
        return paths.size() == 1
                ? Optional.of(new ResponsesLookup(CLUSTER, instances, paths.get(0)))
                : Optional.empty();
    }
}
