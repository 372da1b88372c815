package org.jairouter.translate;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import java.util.Optional;
import org.jairouter.config.LoadBalancePolicy;

/**
 * Maps JAiRouter's policies onto Envoy's load balancers so that every one honours endpoint weights.
 * Envoy's RANDOM ignores weights, so weighted random is Maglev with no hash key on the route: a
 * thread-aware hashing balancer hashes a random number when the request has no key, and Maglev's
 * table follows the weights.
 */
final class LoadBalancingPolicies {
    private LoadBalancingPolicies() {
    }

    static void apply(LoadBalancePolicy policy, Cluster.Builder cluster) {
        cluster.setLbPolicy(switch (policy) {
            case RANDOM -> Cluster.LbPolicy.MAGLEV;
            case ROUND_ROBIN -> Cluster.LbPolicy.ROUND_ROBIN;
            case LEAST_CONNECTIONS -> Cluster.LbPolicy.LEAST_REQUEST;
            case IP_HASH -> Cluster.LbPolicy.RING_HASH;
        });
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
