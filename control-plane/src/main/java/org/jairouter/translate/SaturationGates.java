package org.jairouter.translate;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.EnvoyInternalAddress;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.LocalReplyConfig;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jairouter.config.ServiceConfig;
import org.jairouter.ir.ModelIr;

/**
 * Fallback when a model is full. Envoy refuses a request beyond a cluster's {@code max_requests}
 * (max-concurrent-requests) with a local 503 and never retries that refusal, so a full model would
 * not pass its requests to its fallback. A model that has both a cap and a model after it in a
 * fallback chain is therefore entered through a gate: in the chain's aggregate cluster it stands as a
 * cluster of one endpoint, an internal listener of the same Envoy, whose only route leads to the
 * model's own cluster. There the cap refuses as before, but to the outer router the refusal is an
 * upstream 503 marked with {@link #UNSERVED_HEADER}, which the model's route retries, and the retry
 * goes to the next priority of the aggregate: the next model. No request waits on the control plane.
 *
 * <p>A model the gate cannot serve for any other reason of Envoy's own (no healthy instance, every
 * retry failed) is marked too. The gate's endpoint is always healthy, so the aggregate always tries the
 * model first; the last model of a chain has nothing to move on to and is never gated.
 */
final class SaturationGates {
    /** On the gate's own replies: the model could not take the request, the next one may. */
    static final String UNSERVED_HEADER = Names.INTERNAL_HEADER_PREFIX + "unserved";

    private SaturationGates() {}

    /**
     * The gate as the aggregate sees it: one endpoint, the gate's listener, carrying the model's name
     * for the fallback rewrite (nothing to rewrite) and the served-model header. It takes what the
     * model's limits allow; the cap binds inside, on the model's own cluster.
     */
    static Cluster cluster(String gate, String model, ServiceConfig service) {
        return internalCluster(
                gate,
                ClusterTranslator.uncappedLimits(service.circuitBreaker()),
                Metadata.newBuilder()
                        .putFilterMetadata(
                                Names.METADATA_NAMESPACE,
                                Protos.struct(Map.of(UpstreamHttp.MODEL_KEY, Protos.string(model))))
                        .build());
    }

    /** A cluster of one endpoint, the internal listener of the same name, with these limits. */
    static Cluster internalCluster(String name, CircuitBreakers limits, Metadata endpointMetadata) {
        return Cluster.newBuilder()
                .setName(name)
                .setType(Cluster.DiscoveryType.STATIC)
                .setConnectTimeout(Protos.seconds(5))
                .setCircuitBreakers(limits)
                .putTypedExtensionProtocolOptions(
                        UpstreamHttp.PROTOCOL_OPTIONS, Any.pack(UpstreamHttp.options(Optional.empty(), Set.of())))
                .setLoadAssignment(ClusterLoadAssignment.newBuilder()
                        .setClusterName(name)
                        .addEndpoints(LocalityLbEndpoints.newBuilder()
                                .addLbEndpoints(LbEndpoint.newBuilder()
                                        .setEndpoint(Endpoint.newBuilder()
                                                .setAddress(Address.newBuilder()
                                                        .setEnvoyInternalAddress(EnvoyInternalAddress.newBuilder()
                                                                .setServerListenerName(name))))
                                        .setMetadata(endpointMetadata))))
                .build();
    }

    /**
     * The gate's internal listener: every request to the model's own cluster, as the model's route would
     * send it there (its path, Host and retries), with the body already read and checked outside.
     *
     * @param service     the service's policies
     * @param trustedHops the outer listener's trusted proxy hops; the outer Envoy is one more
     */
    static Listener listener(String gate, ModelIr model, ServiceConfig service, int trustedHops) {
        Route route = Route.newBuilder()
                .setName(gate)
                .setMatch(RouteMatch.newBuilder().setPrefix("/"))
                .setRoute(RouteTranslator.gateRoute(service, model.cluster(), model.instances()))
                .build();
        return internalListener(gate, route, ErrorReplies.gateReplyConfig(model.name(), UNSERVED_HEADER), trustedHops);
    }

    /**
     * An internal listener of one route, behind the outer listener: the body already read and checked there.
     *
     * @param trustedHops the outer listener's trusted proxy hops; the outer Envoy is one more
     */
    static Listener internalListener(String name, Route route, LocalReplyConfig replies, int trustedHops) {
        HttpConnectionManager connectionManager = HttpConnectionManager.newBuilder()
                .setStatPrefix(name)
                .setRouteConfig(RouteConfiguration.newBuilder()
                        .setName(name)
                        .addVirtualHosts(VirtualHost.newBuilder()
                                .setName(name)
                                .addDomains("*")
                                .addRoutes(route)))
                .addHttpFilters(ModelFilters.router())
                .setLocalReplyConfig(replies)
                .setStreamIdleTimeout(Protos.seconds(ListenerTranslator.STREAM_IDLE_SECONDS))
                // The instance's Server header passes, as on the outer listener (Envoy's default sets its own).
                .setServerHeaderTransformation(HttpConnectionManager.ServerHeaderTransformation.PASS_THROUGH)
                // ip-hash sees the client the outer listener saw, not the internal connection.
                .setUseRemoteAddress(BoolValue.of(true))
                .setXffNumTrustedHops(trustedHops + 1)
                // The outer listener already stripped what clients may not send; it is the only client.
                .setInternalAddressConfig(ListenerTranslator.NO_INTERNAL_CLIENTS)
                .build();
        return Listener.newBuilder()
                .setName(name)
                .setInternalListener(Listener.InternalListenerConfig.getDefaultInstance())
                .setPerConnectionBufferLimitBytes(UInt32Value.of(ListenerTranslator.CONNECTION_BUFFER_BYTES))
                .addFilterChains(FilterChain.newBuilder()
                        .addFilters(Filter.newBuilder()
                                .setName("envoy.filters.network.http_connection_manager")
                                .setTypedConfig(Any.pack(connectionManager))))
                .build();
    }
}
