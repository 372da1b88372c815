package org.jairouter.translate;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
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
    private record ClusterInputs(
            String name, ServiceConfig settings, List<Instance> instances, String caFile, boolean searched) {
        Cluster make() {
            return ClusterTranslator.cluster(name, settings, instances, caFile, searched);
        }
    }

    /** The inputs of a model's endpoints: its instances, their addresses and weights now. */
    private record EndpointInputs(
            String cluster,
            List<Instance> instances,
            List<Optional<String>> ips,
            List<Integer> weights,
            boolean inFallbackChain) {
        ClusterLoadAssignment make() {
            return ClusterTranslator.endpoints(cluster, instances, ips, weights, inFallbackChain);
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
            for (ModelIr model : service.models().values()) {
                clusters.add(parts.part(
                        "cluster",
                        model.cluster(),
                        new ClusterInputs(
                                model.cluster(),
                                settings,
                                model.instances(),
                                caFile,
                                model.extraEndpoints().containsKey(ExtraEndpoint.RESPONSES)),
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
                                model.inFallbackChain()),
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
                        false));
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
        }
        return new EnvoyResources(listeners, List.of(RouteTranslator.routes(ir, parts)), clusters, endpoints);
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
