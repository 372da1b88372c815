package org.jairouter.translate;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
     * cluster and endpoints of every model, and the routes of every service, whose inputs are those of the
     * cache's last translation.
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
        List<Listener> listeners = new ArrayList<>(List.of(ListenerTranslator.listener(config)));
        for (ServiceConfig service : config.services().values()) {
            ServiceConfig settings = cache.settings(service);
            Map<String, List<Instance>> byModel = service.activeInstancesByModel();
            for (Map.Entry<String, List<Instance>> model : byModel.entrySet()) {
                String name = names.of(service.type(), model.getKey()).orElseThrow();
                clusters.add(cache.cluster(name, service, settings, model.getValue(), config.upstreamCaFile()));
                ToIntFunction<Instance> weight = service.loadBalancing().policy() == LoadBalancePolicy.LOAD_AWARE
                        ? i -> load.weight(new Translation.EndpointId(name, ClusterTranslator.hostname(i)), i.weight())
                        : Instance::weight;
                endpoints.add(cache.endpoints(
                        name, model.getValue(), hosts, weight, service.inFallbackChain(model.getKey())));
            }
            Set<String> gated = SaturationGates.gatedModels(service);
            for (String model : gated) {
                String gate = names.gate(service.type(), model).orElseThrow();
                clusters.add(SaturationGates.cluster(gate, model, service));
                listeners.add(SaturationGates.listener(
                        gate,
                        model,
                        names.of(service.type(), model).orElseThrow(),
                        service,
                        byModel.get(model),
                        config.listener().trustedProxyHops()));
            }
            // After their members, in the same update: Envoy 1.40 takes them together over delta ADS.
            for (String model : byModel.keySet()) {
                List<String> chain = service.fallbackChain(model);
                if (chain.size() > 1) {
                    String last = chain.get(chain.size() - 1);
                    clusters.add(ClusterTranslator.aggregate(
                            names.routed(service.type(), model).orElseThrow(),
                            model,
                            chain.stream()
                                    .map(m -> (gated.contains(m) && !m.equals(last)
                                                    ? names.gate(service.type(), m)
                                                    : names.of(service.type(), m))
                                            .orElseThrow())
                                    .toList(),
                            service,
                            chain.stream().flatMap(m -> byModel.get(m).stream()).toList()));
                }
            }
        }
        return new Translation(
                config,
                new EnvoyResources(
                        listeners, List.of(RouteTranslator.routes(config, names, cache)), clusters, endpoints),
                names);
    }
}
