package org.jairouter.translate;

import com.google.protobuf.Any;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.extensions.clusters.aggregate.v3.ClusterConfig;
import io.envoyproxy.envoy.type.v3.Percent;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.jairouter.config.CircuitBreaker;
import org.jairouter.config.ExtraEndpoint;
import org.jairouter.config.Instance;
import org.jairouter.config.ModelLimits;
import org.jairouter.config.ServiceConfig;
import org.jairouter.ir.EndpointId;
import org.jairouter.ir.ExtraEndpoints;
import org.jairouter.ir.ResponsesLookup;

/** One cluster per (service, model), its endpoints delivered by EDS so that instance changes never touch the cluster. */
final class ClusterTranslator {
    private ClusterTranslator() {}

    static Cluster cluster(String name, ServiceConfig service, List<Instance> instances, String caFile) {
        Cluster.Builder cluster = Cluster.newBuilder()
                .setName(name)
                .setType(Cluster.DiscoveryType.EDS)
                .setEdsClusterConfig(Cluster.EdsClusterConfig.newBuilder()
                        .setEdsConfig(Protos.ads())
                        .setServiceName(name))
                .setConnectTimeout(Protos.seconds(5))
                .setCircuitBreakers(retriedLimits(service, instances.size()));
        LoadBalancingPolicies.apply(service.loadBalancing(), cluster);
        // Never send traffic to an instance known to be down (Envoy's default panics below 50% healthy).
        cluster.getCommonLbConfigBuilder()
                .setHealthyPanicThreshold(Percent.newBuilder().setValue(0));
        HealthChecks.active(service.type(), service.healthCheck(), instances).ifPresent(cluster::addHealthChecks);
        // An instance removed from the config leaves at once; by default Envoy would keep sending it
        // traffic for as long as it still passes health checks.
        cluster.setIgnoreHealthOnHostRemoval(true);
        cluster.setOutlierDetection(HealthChecks.passive(service.circuitBreaker()));
        cluster.putTypedExtensionProtocolOptions(
                UpstreamHttp.PROTOCOL_OPTIONS,
                Any.pack(UpstreamHttp.options(
                        pathsPerInstance(service, instances),
                        headerNames(instances),
                        Optional.empty(),
                        service.firstTokenTimeout().isPresent())));
        UpstreamTls.apply(cluster, tlsHosts(instances), caFile);
        return cluster.build();
    }

    private static Set<String> tlsHosts(List<Instance> instances) {
        return instances.stream()
                .filter(Instance::tls)
                .map(Instance::host)
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /**
     * The cluster a model with fallbacks is routed to: Envoy's aggregate over the chain's clusters, in
     * order, so that a model with no healthy instance sends its requests to the next. Its members'
     * priorities are merged into one list; each member still picks the instance by its own policy,
     * health checks and outlier detection. Envoy runs the aggregate's upstream filters, not the
     * member's, so they are made for every instance of the chain.
     *
     * @param members   the clusters of the chain's models, the requested model's first
     * @param service   the service of the chain, whose model limits the aggregate keeps too
     * @param instances the active instances of every model of the chain
     */
    static Cluster aggregate(
            String name, String requestedModel, List<String> members, ServiceConfig service, List<Instance> instances) {
        return Cluster.newBuilder()
                .setName(name)
                .setClusterType(Cluster.CustomClusterType.newBuilder()
                        .setName("envoy.clusters.aggregate")
                        .setTypedConfig(Any.pack(ClusterConfig.newBuilder()
                                .addAllClusters(members)
                                .build())))
                .setLbPolicy(Cluster.LbPolicy.CLUSTER_PROVIDED)
                .setConnectTimeout(Protos.seconds(5))
                // The model's own limits; the per-instance ones bind on the members' hosts, not here.
                // Retries are how a request reaches the next model: as many may run at once as requests
                // (Envoy's default is 3 per cluster, beyond which a request stays with a failed model).
                .setCircuitBreakers(withRetries(
                        limits(service.circuitBreaker(), instances.size()),
                        service.circuitBreaker().modelLimits().maxRequests()))
                .putTypedExtensionProtocolOptions(
                        UpstreamHttp.PROTOCOL_OPTIONS,
                        Any.pack(UpstreamHttp.options(
                                pathsPerInstance(service, instances),
                                headerNames(instances),
                                Optional.of(requestedModel),
                                service.firstTokenTimeout().isPresent())))
                .build();
    }

    /**
     * The cluster a request naming a stored response by id searches ({@link ResponsesLookup}): every server of
     * the Responses API once, taken in turn (round robin), so that each retry, which skips the servers already
     * asked, finds the next one at the first or a later pick and the search ends within one pick per server.
     * No health checks of its own: the models' clusters check the same servers, and one that is down costs a
     * retry here. Its upstream filters write each server's own headers (an API key), as a model's do.
     */
    static Cluster responsesLookup(ResponsesLookup lookup, ServiceConfig service, String caFile) {
        List<Instance> instances = lookup.instances();
        Cluster.Builder cluster = Cluster.newBuilder()
                .setName(lookup.cluster())
                .setType(Cluster.DiscoveryType.EDS)
                .setEdsClusterConfig(Cluster.EdsClusterConfig.newBuilder()
                        .setEdsConfig(Protos.ads())
                        .setServiceName(lookup.cluster()))
                .setConnectTimeout(Protos.seconds(5))
                .setLbPolicy(Cluster.LbPolicy.ROUND_ROBIN)
                .setCircuitBreakers(withRetries(
                        uncappedLimits(service.circuitBreaker()),
                        service.circuitBreaker().modelLimits().maxRequests()))
                .putTypedExtensionProtocolOptions(
                        UpstreamHttp.PROTOCOL_OPTIONS,
                        Any.pack(UpstreamHttp.options(Optional.empty(), headerNames(instances))));
        cluster.setIgnoreHealthOnHostRemoval(true);
        UpstreamTls.apply(cluster, tlsHosts(instances), caFile);
        return cluster.build();
    }

    private static Set<String> headerNames(List<Instance> instances) {
        return instances.stream()
                .flatMap(i -> i.headers().keySet().stream())
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /**
     * How many requests the cluster carries at once: the model's limits (circuit-breaker max-connections,
     * max-pending-requests, max-requests; 100,000 each unless set). With max-concurrent-requests, the
     * model's cluster takes at most that many per instance in all: cluster-level {@code max_requests} is
     * one counter for every worker thread, so the cap is exact (per-host thresholds offer only
     * connections, which each worker's pool may exceed by one). A request beyond it is refused at once
     * with 503 (flag UO), which Envoy never retries: the whole model being full, no other instance has room.
     */
    private static CircuitBreakers limits(CircuitBreaker breaker, int instanceCount) {
        ModelLimits model = breaker.modelLimits();
        int cap = breaker.maxConcurrentRequests();
        int requests = cap == 0 ? model.maxRequests() : (int) Math.min(model.maxRequests(), (long) cap * instanceCount);
        return limits(model, requests);
    }

    /**
     * The limits of a model's low-priority gate: its max_requests, the low-priority share of the model's
     * max-concurrent-requests over all its instances, is one counter of its own, on top of the model's.
     */
    static CircuitBreakers lowPriorityLimits(CircuitBreaker breaker, int instanceCount) {
        ModelLimits model = breaker.modelLimits();
        return limits(model, (int) Math.min(model.maxRequests(), (long) breaker.lowPriorityRequests() * instanceCount));
    }

    /**
     * The limits of a model's own cluster. A retry goes to another instance, one per try the retry policy
     * allows, and it holds its place among the cluster's retries from its decision until the next try: as
     * many retries may run at once as requests. At Envoy's default of 3 per cluster, when an instance dropped
     * many requests at once (it died, or stalled streams timed out together, or a Responses follow-up met
     * instances without its response), all but 3 were answered 503 or 504 instead of being retried.
     */
    private static CircuitBreakers retriedLimits(ServiceConfig service, int instanceCount) {
        CircuitBreakers limits = limits(service.circuitBreaker(), instanceCount);
        return withRetries(limits, limits.getThresholds(0).getMaxRequests().getValue());
    }

    /** The model's limits without max-concurrent-requests: for a cluster whose requests meet the cap further on. */
    static CircuitBreakers uncappedLimits(CircuitBreaker breaker) {
        return limits(breaker.modelLimits(), breaker.modelLimits().maxRequests());
    }

    private static CircuitBreakers withRetries(CircuitBreakers limits, int retries) {
        CircuitBreakers.Builder builder = limits.toBuilder();
        builder.getThresholdsBuilder(0).setMaxRetries(UInt32Value.of(retries));
        return builder.build();
    }

    static CircuitBreakers limits(ModelLimits model, int requests) {
        return CircuitBreakers.newBuilder()
                .addThresholds(CircuitBreakers.Thresholds.newBuilder()
                        .setMaxConnections(UInt32Value.of(model.maxConnections()))
                        .setMaxPendingRequests(UInt32Value.of(model.maxPendingRequests()))
                        .setMaxRequests(UInt32Value.of(requests)))
                .build();
    }

    /**
     * What the upstream filters read per instance: its path and its own headers, and on a fallback
     * chain its model, which the fallback rewrite and the served-model header read.
     */
    private static Map<String, Value> instanceMetadata(
            Instance instance, boolean inFallbackChain, List<ExtraEndpoint> apiPaths) {
        Map<String, Value> metadata = new TreeMap<>();
        if (inFallbackChain) {
            metadata.put(UpstreamHttp.MODEL_KEY, Protos.string(instance.model()));
        }
        metadata.put("base_url", Protos.string(instance.baseUrl()));
        metadata.put("path", Protos.string(instance.upstreamPath()));
        Map<String, Value> paths = new TreeMap<>();
        apiPaths.forEach(
                api -> instance.upstreamPath(api).ifPresent(path -> paths.put(api.key(), Protos.string(path))));
        if (!paths.isEmpty()) {
            metadata.put(
                    UpstreamHttp.API_PATHS_KEY,
                    Value.newBuilder().setStructValue(Protos.struct(paths)).build());
        }
        if (!instance.headers().isEmpty()) {
            Map<String, Value> headers = new TreeMap<>();
            instance.headers().forEach((name, value) -> headers.put(name, Protos.string(value.value())));
            metadata.put(
                    UpstreamHttp.HEADERS_KEY,
                    Value.newBuilder().setStructValue(Protos.struct(headers)).build());
        }
        return metadata;
    }

    /**
     * When the routes cannot rewrite the path for every instance at once, the other APIs of the service each
     * instance gets its own path of: those every instance serves (no route sends another here).
     */
    private static Optional<List<ExtraEndpoint>> pathsPerInstance(ServiceConfig service, List<Instance> instances) {
        return ExtraEndpoints.pathsPerInstance(instances)
                ? Optional.of(ExtraEndpoints.servedByAll(service.type(), instances))
                : Optional.empty();
    }

    /** True when the route can rewrite the service path for every instance at once. */
    static boolean sharePath(List<Instance> instances) {
        return instances.stream().map(Instance::upstreamPath).distinct().count() == 1;
    }

    /**
     * The cluster's endpoints: every active instance whose host resolved, with its weight.
     *
     * @param ips     per instance, its host's address; empty while it does not resolve
     * @param weights per instance, its load-balancing weight
     * @param apiPaths the other APIs whose paths the instances carry: those of their service when a cluster
     *     that may choose them gives each instance its own paths, else none
     */
    static ClusterLoadAssignment endpoints(
            String name,
            List<Instance> instances,
            List<Optional<String>> ips,
            List<Integer> weights,
            boolean inFallbackChain,
            List<ExtraEndpoint> apiPaths) {
        LocalityLbEndpoints.Builder locality = LocalityLbEndpoints.newBuilder();
        for (int i = 0; i < instances.size(); i++) {
            Instance instance = instances.get(i);
            int weight = weights.get(i);
            ips.get(i)
                    .ifPresent(ip -> locality.addLbEndpoints(LbEndpoint.newBuilder()
                            .setEndpoint(Endpoint.newBuilder()
                                    .setAddress(Address.newBuilder()
                                            .setSocketAddress(SocketAddress.newBuilder()
                                                    .setAddress(ip)
                                                    .setPortValue(instance.port())))
                                    .setHostname(EndpointId.hostname(instance))
                                    .setHealthCheckConfig(Endpoint.HealthCheckConfig.newBuilder()
                                            .setHostname(EndpointId.hostname(instance))))
                            .setLoadBalancingWeight(UInt32Value.of(weight))
                            .setMetadata(Metadata.newBuilder()
                                    .putFilterMetadata(
                                            Names.METADATA_NAMESPACE,
                                            Protos.struct(instanceMetadata(instance, inFallbackChain, apiPaths)))
                                    .putAllFilterMetadata(
                                            instance.tls()
                                                    ? Map.of(
                                                            "envoy.transport_socket_match",
                                                            Protos.struct(Map.of(
                                                                    UpstreamTls.MATCH_KEY,
                                                                    Protos.string(instance.host()))))
                                                    : Map.of())
                                    // ip-hash places instances on its ring by this key, not by IP address,
                                    // so a backend whose address changes keeps its clients.
                                    .putFilterMetadata(
                                            "envoy.lb",
                                            Protos.struct(Map.of(
                                                    "hash_key",
                                                    Protos.string(instance.authority() + instance.upstreamPath())))))));
        }
        return ClusterLoadAssignment.newBuilder()
                .setClusterName(name)
                .addEndpoints(locality)
                .build();
    }
}
