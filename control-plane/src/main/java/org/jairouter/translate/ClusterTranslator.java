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
import io.envoyproxy.envoy.type.v3.Percent;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.ToIntFunction;
import java.util.stream.Collectors;
import org.jairouter.config.CircuitBreaker;
import org.jairouter.config.Instance;
import org.jairouter.config.ModelLimits;
import org.jairouter.config.ServiceConfig;

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
                .setCircuitBreakers(limits(service.circuitBreaker(), instances.size()));
        LoadBalancingPolicies.apply(service.loadBalancing(), cluster);
        // Never send traffic to an instance known to be down (Envoy's default panics below 50% healthy).
        cluster.getCommonLbConfigBuilder()
                .setHealthyPanicThreshold(Percent.newBuilder().setValue(0));
        HealthChecks.active(service.type(), service.healthCheck(), instances).ifPresent(cluster::addHealthChecks);
        // An instance removed from the config leaves at once; by default Envoy would keep sending it
        // traffic for as long as it still passes health checks.
        cluster.setIgnoreHealthOnHostRemoval(true);
        cluster.setOutlierDetection(HealthChecks.passive(service.circuitBreaker()));
        Set<String> headerNames = instances.stream()
                .flatMap(i -> i.headers().keySet().stream())
                .collect(Collectors.toCollection(TreeSet::new));
        cluster.putTypedExtensionProtocolOptions(
                UpstreamHttp.PROTOCOL_OPTIONS, Any.pack(UpstreamHttp.options(!sharePath(instances), headerNames)));
        UpstreamTls.apply(
                cluster,
                instances.stream()
                        .filter(Instance::tls)
                        .map(Instance::host)
                        .collect(Collectors.toCollection(TreeSet::new)),
                caFile);
        return cluster.build();
    }

    /**
     * How many requests the cluster carries: the model's limits (circuit-breaker max-connections,
     * max-pending-requests, max-requests; 100,000 each unless set). With max-concurrent-requests, each
     * instance gets at most that many connections, and since instances speak HTTP/1.1, one request per
     * connection: requests beyond it wait in Envoy's queue for a free connection, bounded at as many again
     * per instance (or max-pending-requests, if lower). A soft cap: measured on Envoy 1.40 with 2 workers,
     * a limit of 1 let 2 requests run at once.
     */
    private static CircuitBreakers limits(CircuitBreaker breaker, int instanceCount) {
        ModelLimits model = breaker.modelLimits();
        CircuitBreakers.Thresholds.Builder thresholds = CircuitBreakers.Thresholds.newBuilder()
                .setMaxConnections(UInt32Value.of(model.maxConnections()))
                .setMaxPendingRequests(UInt32Value.of(model.maxPendingRequests()))
                .setMaxRequests(UInt32Value.of(model.maxRequests()));
        int maxConcurrentRequests = breaker.maxConcurrentRequests();
        if (maxConcurrentRequests == 0) {
            return CircuitBreakers.newBuilder().addThresholds(thresholds).build();
        }
        return CircuitBreakers.newBuilder()
                .addThresholds(thresholds.setMaxPendingRequests(
                        UInt32Value.of(Math.min(model.maxPendingRequests(), maxConcurrentRequests * instanceCount))))
                .addPerHostThresholds(CircuitBreakers.Thresholds.newBuilder()
                        .setMaxConnections(UInt32Value.of(maxConcurrentRequests)))
                .build();
    }

    /** What the upstream filters read per instance: its path and its own headers. */
    private static Map<String, Value> instanceMetadata(Instance instance) {
        Map<String, Value> metadata = new TreeMap<>();
        metadata.put("base_url", Protos.string(instance.baseUrl()));
        metadata.put("path", Protos.string(instance.upstreamPath()));
        if (!instance.headers().isEmpty()) {
            Map<String, Value> headers = new TreeMap<>();
            instance.headers().forEach((name, value) -> headers.put(name, Protos.string(value.value())));
            metadata.put(
                    UpstreamHttp.HEADERS_KEY,
                    Value.newBuilder().setStructValue(Protos.struct(headers)).build());
        }
        return metadata;
    }

    /** True when the route can rewrite the path for every instance at once. */
    static boolean sharePath(List<Instance> instances) {
        return instances.stream().map(Instance::upstreamPath).distinct().count() == 1;
    }

    /**
     * The endpoint's hostname, under which Envoy's admin also reports it. auto_host_rewrite sends it as
     * the Host header: the backend's own authority.
     */
    static String hostname(Instance instance) {
        return instance.authority();
    }

    /** The cluster's endpoints: every active instance whose host resolved, with its weight. */
    static ClusterLoadAssignment endpoints(
            String name, List<Instance> instances, ResolvedHosts hosts, ToIntFunction<Instance> weight) {
        LocalityLbEndpoints.Builder locality = LocalityLbEndpoints.newBuilder();
        for (Instance instance : instances) {
            hosts.ipOf(instance.host())
                    .ifPresent(ip -> locality.addLbEndpoints(LbEndpoint.newBuilder()
                            .setEndpoint(Endpoint.newBuilder()
                                    .setAddress(Address.newBuilder()
                                            .setSocketAddress(SocketAddress.newBuilder()
                                                    .setAddress(ip)
                                                    .setPortValue(instance.port())))
                                    .setHostname(hostname(instance))
                                    .setHealthCheckConfig(Endpoint.HealthCheckConfig.newBuilder()
                                            .setHostname(hostname(instance))))
                            .setLoadBalancingWeight(UInt32Value.of(weight.applyAsInt(instance)))
                            .setMetadata(Metadata.newBuilder()
                                    .putFilterMetadata(
                                            Names.METADATA_NAMESPACE, Protos.struct(instanceMetadata(instance)))
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
