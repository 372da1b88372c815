package org.jairouter.translate;

import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;

/**
 * The endpoints of the bootstrap's local cluster: one per Envoy connected to the control plane. Only
 * their number matters: local_ratelimit divides every bucket by it (RateLimits). Nothing connects to
 * them, so each is a distinct placeholder address rather than the Envoy's own.
 */
public final class FleetEndpoints {
    /** The local cluster the bootstrap template defines and names in {@code cluster_manager}. */
    public static final String CLUSTER = "jairouter_fleet";

    private FleetEndpoints() {}

    public static ClusterLoadAssignment of(int envoys) {
        LocalityLbEndpoints.Builder members = LocalityLbEndpoints.newBuilder();
        for (int member = 1; member <= envoys; member++) {
            members.addLbEndpoints(LbEndpoint.newBuilder()
                    .setEndpoint(Endpoint.newBuilder()
                            .setAddress(Address.newBuilder()
                                    .setSocketAddress(SocketAddress.newBuilder()
                                            .setAddress("127.0.0.1")
                                            .setPortValue(member)))));
        }
        return ClusterLoadAssignment.newBuilder()
                .setClusterName(CLUSTER)
                .addEndpoints(members)
                .build();
    }
}
