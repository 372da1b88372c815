package org.jairouter.translate;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;
import org.jairouter.config.Instance;
import org.jairouter.config.LoadBalancePolicy;
import org.jairouter.config.RouterConfig;
import org.jairouter.config.ServiceConfig;

/** Translates a validated config into Envoy resources. A pure function: same input, same resources. */
public final class EnvoyTranslator {
    private EnvoyTranslator() {}

    /** The resources for the config, and the names chosen for them, before any load has been observed. */
    public static Translation translate(RouterConfig config, ResolvedHosts hosts, StatusEndpoint status) {
        return translate(config, hosts, LoadWeights.NONE, status);
    }

    /** As {@link #translate(RouterConfig, ResolvedHosts, StatusEndpoint)}, with what load-aware has observed. */
    public static Translation translate(
            RouterConfig config, ResolvedHosts hosts, LoadWeights load, StatusEndpoint status) {
        return translate(config, hosts, load, status, new ModelResourceCache());
    }

    /**
     * As {@link #translate(RouterConfig, ResolvedHosts, LoadWeights, StatusEndpoint)}, reusing the
     * cluster and endpoints of every model whose inputs are those of the cache's last translation.
     */
    public static Translation translate(
            RouterConfig config,
            ResolvedHosts hosts,
            LoadWeights load,
            StatusEndpoint status,
            ModelResourceCache cache) {
        synchronized (cache) {
            Translation translation = translateModels(config, hosts, load, status, cache);
            cache.keepUsed();
            return translation;
        }
    }

    private static Translation translateModels(
            RouterConfig config,
            ResolvedHosts hosts,
            LoadWeights load,
            StatusEndpoint status,
            ModelResourceCache cache) {
        ClusterNames names = new ClusterNames(config);
        List<Cluster> clusters = new ArrayList<>();
        clusters.add(StatusRoutes.cluster(status));
        List<ClusterLoadAssignment> endpoints = new ArrayList<>();
        for (ServiceConfig service : config.services().values()) {
            ServiceConfig settings = service.withoutInstances();
            for (Map.Entry<String, List<Instance>> model :
                    service.activeInstancesByModel().entrySet()) {
                String name = names.of(service.type(), model.getKey()).orElseThrow();
                clusters.add(cache.cluster(name, service, settings, model.getValue(), config.upstreamCaFile()));
                ToIntFunction<Instance> weight = service.loadBalancing().policy() == LoadBalancePolicy.LOAD_AWARE
                        ? i -> load.weight(new Translation.EndpointId(name, ClusterTranslator.hostname(i)), i.weight())
                        : Instance::weight;
                endpoints.add(cache.endpoints(name, model.getValue(), hosts, weight));
            }
        }
        return new Translation(
                config,
                new EnvoyResources(
                        List.of(ListenerTranslator.listener(config)),
                        List.of(RouteTranslator.routes(config, names)),
                        clusters,
                        endpoints),
                names);
    }
}
