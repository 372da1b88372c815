package org.jairouter.translate;

import com.google.protobuf.Any;
import com.google.protobuf.UInt64Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.LoadBalancingPolicy;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
import io.envoyproxy.envoy.extensions.load_balancing_policies.least_request.v3.LeastRequest;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import java.util.Optional;
import org.jairouter.config.LoadBalancePolicy;

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
 */
final class LoadBalancingPolicies {
    private static final long MINIMUM_RING_SIZE = 4096;
    private LoadBalancingPolicies() {
    }

    static void apply(LoadBalancePolicy policy, Cluster.Builder cluster) {
        switch (policy) {
            case RANDOM -> cluster.setLbPolicy(Cluster.LbPolicy.MAGLEV);
            case ROUND_ROBIN -> cluster.setLbPolicy(Cluster.LbPolicy.ROUND_ROBIN);
            case LEAST_CONNECTIONS, LOAD_AWARE -> cluster.setLoadBalancingPolicy(LoadBalancingPolicy.newBuilder()
                    .addPolicies(LoadBalancingPolicy.Policy.newBuilder().setTypedExtensionConfig(
                            TypedExtensionConfig.newBuilder()
                                    .setName("envoy.load_balancing_policies.least_request")
                                    .setTypedConfig(Any.pack(LeastRequest.newBuilder()
                                            .setSelectionMethod(LeastRequest.SelectionMethod.FULL_SCAN)
                                            .build())))));
            case IP_HASH -> cluster.setLbPolicy(Cluster.LbPolicy.RING_HASH)
                    // More ring points than Envoy's default 1024 keep each instance's share closer to its weight.
                    .setRingHashLbConfig(Cluster.RingHashLbConfig.newBuilder()
                            .setMinimumRingSize(UInt64Value.of(MINIMUM_RING_SIZE)));
        }
    }

    /** The hash key a route must supply for the policy, if it needs one. */
    static Optional<RouteAction.HashPolicy> hashPolicy(LoadBalancePolicy policy) {
        if (policy != LoadBalancePolicy.IP_HASH) {
            return Optional.empty();
        }
        return Optional.of(RouteAction.HashPolicy.newBuilder()
                .setConnectionProperties(RouteAction.HashPolicy.ConnectionProperties.newBuilder().setSourceIp(true))
                .build());
    }
}
