package org.jairouter.translate;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.jairouter.config.ExtraEndpoint;
import org.jairouter.config.Instance;
import org.jairouter.config.LoadBalancePolicy;
import org.jairouter.config.ServiceConfig;
import org.jairouter.ir.ModelIr;
import org.jairouter.ir.RouterIr;
import org.jairouter.ir.ServiceIr;

/**
 * Translates the router's model into Envoy resources. A pure function: the same model, host addresses,
 * load weights and status endpoint give the same resources. See {@code package-info.java} for where each
 * Envoy feature is made.
 */
public final class EnvoyTranslator {
    private EnvoyTranslator() {}

    /** The resources before any load has been observed. */
    public static EnvoyResources translate(RouterIr ir, ResolvedHosts hosts, StatusEndpoint status) {
        return translate(ir, hosts, LoadWeights.NONE, status, Parts.FRESH);
    }

    /** The resources with what load-aware has observed. */
    public static EnvoyResources translate(RouterIr ir, ResolvedHosts hosts, LoadWeights load, StatusEndpoint status) {
        return translate(ir, hosts, load, status, Parts.FRESH);
    }

    /** The inputs of a model's own cluster: everything {@link ClusterTranslator#cluster} reads. */
    private record ClusterInputs(String name, ServiceConfig settings, List<Instance> instances, String caFile) {
        Cluster make() {
            return ClusterTranslator.cluster(name, settings, instances, caFile);
        }
    }

    /** The inputs of a model's endpoints: its instances, their addresses and weights now. */
    private record EndpointInputs(
            String cluster,
            List<Instance> instances,
            List<Optional<String>> ips,
            List<Integer> weights,
            boolean inFallbackChain,
            List<ExtraEndpoint> apiPaths) {
        ClusterLoadAssignment make() {
            return ClusterTranslator.endpoints(cluster, instances, ips, weights, inFallbackChain, apiPaths);
        }
    }

    static EnvoyResources translate(
            RouterIr ir, ResolvedHosts hosts, LoadWeights load, StatusEndpoint status, Parts parts) {
        List<Cluster> clusters = new ArrayList<>();
        clusters.add(StatusRoutes.cluster(status));
        List<ClusterLoadAssignment> endpoints = new ArrayList<>();
        List<Listener> listeners = new ArrayList<>(List.of(ListenerTranslator.listener(ir)));
        String caFile = ir.config().upstreamCaFile();
        for (ServiceIr service : ir.services().values()) {
            ServiceConfig settings = settings(service, parts);
            boolean loadAware = service.config().loadBalancing().policy() == LoadBalancePolicy.LOAD_AWARE;
            Set<String> withApiPaths = modelsWithApiPaths(service);
            for (ModelIr model : service.models().values()) {
                clusters.add(parts.part(
                        "cluster",
                        model.cluster(),
                        new ClusterInputs(model.cluster(), settings, model.instances(), caFile),
                        ClusterInputs::make));
                endpoints.add(parts.part(
                        "endpoints",
                        model.cluster(),
                        new EndpointInputs(
                                model.cluster(),
                                model.instances(),
                                model.instances().stream()
                                        .map(i -> hosts.ipOf(i.host()))
                                        .toList(),
                                model.instances().stream()
                                        .map(i -> loadAware ? load.weight(model.endpoint(i), i.weight()) : i.weight())
                                        .toList(),
                                model.inFallbackChain(),
                                withApiPaths.contains(model.name()) ? ExtraEndpoint.of(service.type()) : List.of()),
                        EndpointInputs::make));
            }
            for (ModelIr model : service.gatedModels()) {
                String gate = model.gate().orElseThrow();
                clusters.add(SaturationGates.cluster(gate, model.name(), settings));
                listeners.add(SaturationGates.listener(
                        gate, model, settings, ir.config().listener().trustedProxyHops()));
            }
            service.responsesLookup().ifPresent(lookup -> {
                clusters.add(ClusterTranslator.responsesLookup(lookup, settings, caFile));
                List<Instance> servers = lookup.instances();
                endpoints.add(ClusterTranslator.endpoints(
                        lookup.cluster(),
                        servers,
                        servers.stream().map(i -> hosts.ipOf(i.host())).toList(),
                        // Equal turns: the search asks each server once, whatever its share of the traffic.
                        servers.stream().map(i -> 1).toList(),
                        false,
                        List.of()));
            });
            // After their members, in the same update: Envoy 1.40 takes them together over delta ADS.
            for (ModelIr model : service.models().values()) {
                if (model.hasFallbacks()) {
                    clusters.add(ClusterTranslator.aggregate(
                            model.routedCluster(),
                            model.name(),
                            model.chainClusters(),
                            settings,
                            model.chainInstances()));
                }
            }
            // After the clusters their routes lead to.
            for (ModelIr model : service.lowPriorityGatedModels()) {
                String gate = model.lowPriorityGate().orElseThrow();
                clusters.add(LowPriorityGates.cluster(gate, model, settings));
                listeners.add(LowPriorityGates.listener(
                        gate, model, settings, ir.config().listener().trustedProxyHops()));
            }
        }
        if (ir.waitsForFirstTokens()) {
            clusters.add(FirstTokenWait.cluster());
            listeners.add(FirstTokenWait.listener());
        }
        return new EnvoyResources(listeners, List.of(RouteTranslator.routes(ir, parts)), clusters, endpoints);
    }

    /**
     * The models whose instances a cluster that gives each instance its own paths may choose: every model
     * of the chain of a model whose paths are per instance. Their endpoints carry their paths of the
     * service's other APIs, for that cluster's upstream filter.
     */
    private static Set<String> modelsWithApiPaths(ServiceIr service) {
        return service.models().values().stream()
                .filter(model -> !model.extraEndpoints().isEmpty() && model.pathsPerInstance())
                .flatMap(model -> model.fallbackChain().stream())
                .collect(Collectors.toSet());
    }

    /**
     * The service's policies without its instances; from a {@link Parts} that reuses, the very object of
     * its last translation while they are equal, so that comparing each model's cluster inputs stops at
     * identity.
     */
    static ServiceConfig settings(ServiceIr service, Parts parts) {
        return parts.part("settings", service.type().key(), service.config().withoutInstances(), same -> same);
    }
}
