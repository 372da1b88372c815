package org.jairouter.translate;

import com.google.protobuf.Any;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.UInt64Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.LoadBalancingPolicy;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.extensions.load_balancing_policies.least_request.v3.LeastRequest;
import java.util.ArrayList;
import java.util.List;
import org.jairouter.config.LoadBalancePolicy;
import org.jairouter.config.LoadBalancing;

/**
 * Maps JAiRouter's policies onto Envoy's load balancers so that every one honours endpoint weights.
 * <ul>
 * <li>random: Envoy's RANDOM ignores weights, so weighted random is Maglev with no hash key on the
 * route: a hashing balancer hashes a random number when the request has no key, and Maglev's table
 * follows the weights.</li>
 * <li>round-robin: ROUND_ROBIN, weighted (earliest-deadline-first when weights differ).</li>
 * <li>least-connections: Envoy's least-request balancer. With equal weights it scans every instance
 * for the fewest requests in flight (FULL_SCAN; the default "power of two choices" may draw the
 * same busy instance twice). With unequal weights Envoy instead schedules by
 * weight / (requests in flight + 1).</li>
 * <li>ip-hash: a consistent-hash ring keyed on the client address; weights size each instance's
 * share of the ring.</li>
 * <li>load-aware: least-connections, with endpoint weights that the control plane lowers for
 * instances reporting a queue or a full KV cache (see {@link LoadWeights}); the weights make Envoy
 * schedule by weight / (requests in flight + 1).</li>
 * </ul>
 * A session header or prefix affinity, with any policy, makes the cluster a consistent-hash ring with
 * bounded load: the route hashes the header, else the prompt's prefix key ({@link PromptPrefixKey}), and
 * an instance above the balance factor times the average load passes the request on to the next
 * instance on the ring. Requests with neither hash a random number, so they are spread at random by
 * weight.
 */
final class LoadBalancingPolicies {
    private static final long MINIMUM_RING_SIZE = 4096;

    private LoadBalancingPolicies() {}

    static void apply(LoadBalancing loadBalancing, Cluster.Builder cluster) {
        if (loadBalancing.affinityRing()) {
            ring(cluster)
                    .getCommonLbConfigBuilder()
                    .setConsistentHashingLbConfig(Cluster.CommonLbConfig.ConsistentHashingLbConfig.newBuilder()
                            .setHashBalanceFactor(UInt32Value.of(loadBalancing.ringBalanceFactor())));
            return;
        }
        switch (loadBalancing.policy()) {
            case RANDOM -> cluster.setLbPolicy(Cluster.LbPolicy.MAGLEV);
            case ROUND_ROBIN -> cluster.setLbPolicy(Cluster.LbPolicy.ROUND_ROBIN);
            case LEAST_CONNECTIONS, LOAD_AWARE ->
                cluster.setLoadBalancingPolicy(LoadBalancingPolicy.newBuilder()
                        .addPolicies(LoadBalancingPolicy.Policy.newBuilder()
                                .setTypedExtensionConfig(TypedExtensionConfig.newBuilder()
                                        .setName("envoy.load_balancing_policies.least_request")
                                        .setTypedConfig(Any.pack(LeastRequest.newBuilder()
                                                .setSelectionMethod(LeastRequest.SelectionMethod.FULL_SCAN)
                                                .build())))));
            case IP_HASH -> ring(cluster);
        }
    }

    private static Cluster.Builder ring(Cluster.Builder cluster) {
        // More ring points than Envoy's default 1024 keep each instance's share closer to its weight.
        return cluster.setLbPolicy(Cluster.LbPolicy.RING_HASH)
                .setRingHashLbConfig(
                        Cluster.RingHashLbConfig.newBuilder().setMinimumRingSize(UInt64Value.of(MINIMUM_RING_SIZE)));
    }

    /**
     * The hash keys a route must supply, in order: the session header first (when a request has it, it
     * decides), then the prompt's prefix key when the service takes one.
     */
    static List<RouteAction.HashPolicy> hashPolicies(LoadBalancing loadBalancing, boolean prefixKey) {
        List<RouteAction.HashPolicy> policies = new ArrayList<>();
        loadBalancing
                .session()
                .ifPresent(session -> policies.add(RouteAction.HashPolicy.newBuilder()
                        .setHeader(RouteAction.HashPolicy.Header.newBuilder().setHeaderName(session.header()))
                        .setTerminal(true)
                        .build()));
        if (prefixKey) {
            policies.add(PromptPrefixKey.hashPolicy());
        }
        if (loadBalancing.policy() == LoadBalancePolicy.IP_HASH) {
            policies.add(RouteAction.HashPolicy.newBuilder()
                    .setConnectionProperties(RouteAction.HashPolicy.ConnectionProperties.newBuilder()
                            .setSourceIp(true))
                    .build());
        }
        return policies;
    }
}
