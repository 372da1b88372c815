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
 * made them, found again by name and kept while what they were made from is unchanged. A reload that
 * changes one model of thousands builds that model's resources and hands back the very same objects for
 * the others, so that the publisher recognises them at once (protobuf memoises hash codes per object,
 * and equals starts with identity) instead of comparing them field by field. Entries not used by a
 * translation are dropped by it: the cache holds one config's worth.
 */
public final class ModelResourceCache {
    /** Everything {@link ClusterTranslator#cluster} reads. */
    private record ClusterInputs(ServiceConfig settings, SameInstances instances, String caFile) {}

    /** Everything {@link ClusterTranslator#endpoints} reads: the instances, their addresses and weights now. */
    private record EndpointInputs(
            SameInstances instances, List<Optional<String>> ips, List<Integer> weights, boolean inFallbackChain) {}

    /** Everything {@link RouteTranslator} reads to make one service's routes. */
    private record RouteInputs(ServiceConfig settings, SameInstances instances, Monitoring monitoring, ApiKeys keys) {}

    /**
     * Instances compared by identity: the config loader hands back the same object for an instance
     * whose text did not change, and comparing thousands of them field by field cost more than the
     * rest of a reload's translation. An equal instance that is another object only misses the cache.
     */
    private record SameInstances(List<Instance> instances) {
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
            return instances.size();
        }
    }

    /** A resource and what it was made from. */
    private record Made<I, V>(I inputs, V resource) {}

    /**
     * Found by name (a cluster's, a service's), then compared: the inputs' own hash codes would walk every
     * service setting once per model, and at 10,000 instances that was a third of a reload's translation.
     */
    private static final class ByName<I, V> {
        private Map<String, Made<I, V>> previous = new HashMap<>();
        private Map<String, Made<I, V>> used = new HashMap<>();

        V reuse(String name, I inputs, Supplier<V> make) {
            Made<I, V> made = used.get(name);
            if (made == null || !made.inputs().equals(inputs)) {
                made = previous.get(name);
            }
            if (made == null || !made.inputs().equals(inputs)) {
                made = new Made<>(inputs, make.get());
            }
            used.put(name, made);
            return made.resource();
        }

        void keepUsed() {
            previous = used;
            used = new HashMap<>();
        }
    }

    private final ByName<ServiceConfig, ServiceConfig> settings = new ByName<>();
    private final ByName<ClusterInputs, Cluster> clusters = new ByName<>();
    private final ByName<EndpointInputs, ClusterLoadAssignment> endpoints = new ByName<>();
    private final ByName<RouteInputs, List<Route>> routes = new ByName<>();

    /**
     * The service without its instances: the very object of the last translation while the settings are
     * equal, so that comparing them for each of its models stops at identity.
     */
    ServiceConfig settings(ServiceConfig service) {
        ServiceConfig withoutInstances = service.withoutInstances();
        return settings.reuse(service.type().name(), withoutInstances, () -> withoutInstances);
    }

    /** The model's cluster; {@code settings} is {@link #settings} of the service. */
    Cluster cluster(
            String name, ServiceConfig service, ServiceConfig settings, List<Instance> instances, String caFile) {
        return clusters.reuse(
                name,
                new ClusterInputs(settings, new SameInstances(instances), caFile),
                () -> ClusterTranslator.cluster(name, service, instances, caFile));
    }

    ClusterLoadAssignment endpoints(
            String name,
            List<Instance> instances,
            ResolvedHosts hosts,
            ToIntFunction<Instance> weight,
            boolean inFallbackChain) {
        EndpointInputs inputs = new EndpointInputs(
                new SameInstances(instances),
                instances.stream().map(i -> hosts.ipOf(i.host())).toList(),
                instances.stream().map(weight::applyAsInt).toList(),
                inFallbackChain);
        return endpoints.reuse(
                name, inputs, () -> ClusterTranslator.endpoints(name, instances, hosts, weight, inFallbackChain));
    }

    /** The routes of one service: the very same Route objects while nothing they are made from changed. */
    List<Route> routes(ServiceConfig service, Monitoring monitoring, ApiKeys keys, Supplier<List<Route>> make) {
        RouteInputs inputs =
                new RouteInputs(settings(service), new SameInstances(service.instances()), monitoring, keys);
        return routes.reuse(service.type().name(), inputs, make);
    }

    /** Ends a translation: what it used is what the next one may reuse. */
    void keepUsed() {
        settings.keepUsed();
        clusters.keepUsed();
        endpoints.keepUsed();
        routes.keepUsed();
    }
}
