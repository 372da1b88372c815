package org.jairouter.translate;

import com.google.protobuf.Any;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.jairouter.config.ServiceType;

/**
 * The status endpoints ({@code /v1/status}, {@code /v1/models}, {@code /v1/models/{model}} and each service's status path) are
 * answered by the control plane; Envoy routes them there so that clients find everything on one port.
 * Traffic to the models never depends on this cluster.
 */
final class StatusRoutes {
    static final String CLUSTER = "jairouter_status";
    private static final String MODEL_PREFIX = "/v1/models/";

    private StatusRoutes() {}

    /**
     * @param exposeStatus false keeps the status documents (base-urls, config problems) off the router
     *                     port; {@code /v1/models} is part of the OpenAI API and always served
     */
    static List<Route> routes(boolean exposeStatus) {
        List<String> paths = new ArrayList<>(List.of("/v1/models"));
        if (exposeStatus) {
            paths.add(0, "/v1/status");
            for (ServiceType type : ServiceType.builtIn()) {
                paths.add(type.statusPath().orElseThrow());
            }
        }
        List<Route> routes = new ArrayList<>(paths.stream()
                .map(path -> toStatus(path, RouteMatch.newBuilder().setPath(path)))
                .toList());
        // OpenAI's model retrieval, GET /v1/models/{model}: answered from the same list, per key.
        routes.add(toStatus(MODEL_PREFIX, RouteMatch.newBuilder().setPrefix(MODEL_PREFIX)));
        return routes;
    }

    private static Route toStatus(String name, RouteMatch.Builder match) {
        return Route.newBuilder()
                .setName("status:" + name)
                .setMatch(match)
                .setRoute(RouteAction.newBuilder()
                        .setCluster(CLUSTER)
                        .setTimeout(Protos.seconds(10))
                        .setRetryPolicy(RETRY_ON_CLOSED_CONNECTION))
                .build();
    }

    /**
     * The status documents are read-only GETs, so a request on a connection the status server had just
     * closed (the JDK's server closes idle ones by itself) is sent again rather than answered 503.
     */
    private static final RetryPolicy RETRY_ON_CLOSED_CONNECTION = RetryPolicy.newBuilder()
            .setRetryOn("connect-failure,refused-stream,reset-before-request,reset")
            .setNumRetries(UInt32Value.of(2))
            .build();

    static Cluster cluster(StatusEndpoint status) {
        boolean literal = status.host().matches("[0-9.]+|\\[?[0-9a-fA-F:]+]?");
        return Cluster.newBuilder()
                .setName(CLUSTER)
                // A host name (a compose service, a Kubernetes Service) is resolved by Envoy.
                .setType(literal ? Cluster.DiscoveryType.STATIC : Cluster.DiscoveryType.STRICT_DNS)
                .setConnectTimeout(Protos.seconds(1))
                // Idle connections closed by Envoy first, as to the model servers.
                .putTypedExtensionProtocolOptions(
                        UpstreamHttp.PROTOCOL_OPTIONS, Any.pack(UpstreamHttp.options(Optional.empty(), Set.of())))
                .setLoadAssignment(ClusterLoadAssignment.newBuilder()
                        .setClusterName(CLUSTER)
                        .addEndpoints(LocalityLbEndpoints.newBuilder()
                                .addLbEndpoints(LbEndpoint.newBuilder()
                                        .setEndpoint(Endpoint.newBuilder()
                                                .setAddress(Address.newBuilder()
                                                        .setSocketAddress(SocketAddress.newBuilder()
                                                                .setAddress(status.host())
                                                                .setPortValue(status.port())))))))
                .build();
    }
}
