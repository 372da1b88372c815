package org.jairouter.translate;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.route.v3.Route;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;
import org.jairouter.config.ApiKeys;
import org.jairouter.config.Instance;
import org.jairouter.config.Monitoring;
import org.jairouter.config.ServiceConfig;

/**
 * The cluster and endpoints of every model, and the routes of every service, as the last translation
 * made them, found again by what they were made from. A reload that changes one model of thousands
 * builds that model's resources and hands back the very same objects for the others, so that the
 * publisher recognises them at once (protobuf memoises hash codes per object, and equals starts with
 * identity) instead of comparing them field by field. Entries not used by a translation are dropped by it: the cache holds one config's worth.
 */
public final class ModelResourceCache {
    /** Everything {@link ClusterTranslator#cluster} reads. */
    private record ClusterInputs(String name, ServiceConfig settings, SameInstances instances, String caFile) {}

    /** Everything {@link ClusterTranslator#endpoints} reads: the instances, their addresses and weights now. */
    private record EndpointInputs(
            String name,
            SameInstances instances,
            List<Optional<String>> ips,
            List<Integer> weights,
            boolean inFallbackChain) {}

    /**
     * Instances compared by identity: the config loader hands back the same object for an instance
     * whose text did not change, and comparing thousands of them field by field cost more than the
     * rest of a reload's translation. An equal instance that is another object only misses the cache.
     */
    private static final class SameInstances {
        private final List<Instance> instances;
        private final int hash;

        SameInstances(List<Instance> instances) {
            this.instances = instances;
            int hash = 1;
            for (Instance instance : instances) {
                hash = 31 * hash + System.identityHashCode(instance);
            }
            this.hash = hash;
        }

        @Override
        public boolean equals(Object other) {
            if (!(other instanceof SameInstances same) || same.instances.size() != instances.size()) {
                return false;
            }
            for (int i = 0; i < instances.size(); i++) {
                if (same.instances.get(i) != instances.get(i)) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    /** Everything {@link RouteTranslator} reads to make one service's routes. */
    private record RouteInputs(ServiceConfig settings, SameInstances instances, Monitoring monitoring, ApiKeys keys) {}

    private Map<ClusterInputs, Cluster> clusters = new HashMap<>();
    private Map<EndpointInputs, ClusterLoadAssignment> endpoints = new HashMap<>();
    private Map<ClusterInputs, Cluster> usedClusters = new HashMap<>();
    private Map<EndpointInputs, ClusterLoadAssignment> usedEndpoints = new HashMap<>();
    private Map<RouteInputs, List<Route>> routes = new HashMap<>();
    private Map<RouteInputs, List<Route>> usedRoutes = new HashMap<>();

    /** The model's cluster; {@code settings} is the service without its instances, made once per service. */
    Cluster cluster(
            String name, ServiceConfig service, ServiceConfig settings, List<Instance> instances, String caFile) {
        ClusterInputs inputs = new ClusterInputs(name, settings, new SameInstances(instances), caFile);
        return reuse(inputs, clusters, usedClusters, () -> ClusterTranslator.cluster(name, service, instances, caFile));
    }

    ClusterLoadAssignment endpoints(
            String name,
            List<Instance> instances,
            ResolvedHosts hosts,
            ToIntFunction<Instance> weight,
            boolean inFallbackChain) {
        EndpointInputs inputs = new EndpointInputs(
                name,
                new SameInstances(instances),
                instances.stream().map(i -> hosts.ipOf(i.host())).toList(),
                instances.stream().map(weight::applyAsInt).toList(),
                inFallbackChain);
        return reuse(
                inputs,
                endpoints,
                usedEndpoints,
                () -> ClusterTranslator.endpoints(name, instances, hosts, weight, inFallbackChain));
    }

    /** The routes of one service: the very same Route objects while nothing they are made from changed. */
    List<Route> routes(ServiceConfig service, Monitoring monitoring, ApiKeys keys, Supplier<List<Route>> make) {
        RouteInputs inputs =
                new RouteInputs(service.withoutInstances(), new SameInstances(service.instances()), monitoring, keys);
        return reuse(inputs, routes, usedRoutes, make);
    }

    /** Ends a translation: what it used is what the next one may reuse. */
    void keepUsed() {
        clusters = usedClusters;
        endpoints = usedEndpoints;
        routes = usedRoutes;
        usedClusters = new HashMap<>();
        usedEndpoints = new HashMap<>();
        usedRoutes = new HashMap<>();
    }

    private static <K, V> V reuse(K inputs, Map<K, V> previous, Map<K, V> used, Supplier<V> make) {
        V resource = used.get(inputs);
        if (resource == null) {
            resource = previous.get(inputs);
        }
        if (resource == null) {
            resource = make.get();
        }
        used.put(inputs, resource);
        return resource;
    }
}
