package org.jairouter.translate;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.EnvoyInternalAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.DirectResponseAction;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.http.lua.v3.Lua;
import io.envoyproxy.envoy.extensions.filters.http.lua.v3.LuaPerRoute;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jairouter.config.ModelLimits;

/**
 * The first-token timeout ({@code first-token-timeout}). A streamed request's route gives each try that
 * long ({@code per_try_timeout}), but Envoy stops enforcing a try's timeout once the response has started
 * towards the client, and model servers send a stream's headers at once, long before its first token. So
 * the clusters of such services hold an event stream's headers in an upstream filter (which runs per try,
 * between the instance and the router) until its first body chunk: a try that has sent no token by then
 * is reset and retried on another instance (the route's retry on {@code reset}, with {@code
 * previous_hosts}), counted by Envoy as a timeout in the instance's outlier detection, while a stream that
 * has sent its first token runs on however long it pauses. Non-streamed requests keep the response timeout.
 *
 * <p>Envoy's Lua holds response headers only while the script waits on the whole body or on an HTTP call
 * (a body-chunk loop lets them pass at once): the filter calls the wait listener, an internal listener of
 * the same Envoy that answers 204 at once, and by then waits on the first chunk. Checked on Envoy 1.40.
 */
final class FirstTokenWait {
    /** The wait listener's name, and that of the cluster the filter calls it through. */
    static final String NAME = "jairouter_first_token_wait";
    /** Named apart from the downstream Lua filter (see {@link UpstreamHttp}). */
    private static final String FILTER_NAME = "jairouter.upstream.first_token_wait";

    private static final String SCRIPT = LuaScripts.of("first-token-wait.lua");

    private FirstTokenWait() {}

    /** The upstream filter. */
    static HttpFilter upstreamFilter() {
        return HttpFilter.newBuilder()
                .setName(FILTER_NAME)
                .setTypedConfig(Any.pack(Lua.newBuilder()
                        .setDefaultSourceCode(DataSource.newBuilder().setInlineString(SCRIPT))
                        .build()))
                .build();
    }

    /**
     * For a model's route of non-streamed requests: the upstream filter off (an upstream filter takes the
     * route's per-filter config of its name), so that those answers do not pass it at all.
     */
    static Map<String, Any> offForRoute() {
        return Map.of(
                FILTER_NAME, Any.pack(LuaPerRoute.newBuilder().setDisabled(true).build()));
    }

    /** A stream route made from the model's route: the upstream filter on again. */
    static void onForRoute(Route.Builder route) {
        route.removeTypedPerFilterConfig(FILTER_NAME);
    }

    /**
     * The cluster the filter calls the wait listener through. Every stream starting at once makes a call:
     * it takes as many as a model takes requests (over Envoy's default 1,024, a call is refused at once
     * and that stream's headers pass unheld).
     */
    static Cluster cluster() {
        return Cluster.newBuilder()
                .setName(NAME)
                .setType(Cluster.DiscoveryType.STATIC)
                .setConnectTimeout(Protos.seconds(1))
                .setCircuitBreakers(ClusterTranslator.limits(ModelLimits.DEFAULT, ModelLimits.DEFAULT.maxRequests()))
                .putTypedExtensionProtocolOptions(
                        UpstreamHttp.PROTOCOL_OPTIONS, Any.pack(UpstreamHttp.options(Optional.empty(), Set.of())))
                .setLoadAssignment(ClusterLoadAssignment.newBuilder()
                        .setClusterName(NAME)
                        .addEndpoints(LocalityLbEndpoints.newBuilder()
                                .addLbEndpoints(LbEndpoint.newBuilder()
                                        .setEndpoint(Endpoint.newBuilder()
                                                .setAddress(Address.newBuilder()
                                                        .setEnvoyInternalAddress(EnvoyInternalAddress.newBuilder()
                                                                .setServerListenerName(NAME)))))))
                .build();
    }

    /** The wait listener: an internal listener that answers every request 204 at once. */
    static Listener listener() {
        HttpConnectionManager connectionManager = HttpConnectionManager.newBuilder()
                .setStatPrefix(NAME)
                .setRouteConfig(RouteConfiguration.newBuilder()
                        .setName(NAME)
                        .addVirtualHosts(VirtualHost.newBuilder()
                                .setName(NAME)
                                .addDomains("*")
                                .addRoutes(Route.newBuilder()
                                        .setName(NAME)
                                        .setMatch(RouteMatch.newBuilder().setPrefix("/"))
                                        .setDirectResponse(DirectResponseAction.newBuilder()
                                                .setStatus(204)))))
                .addHttpFilters(ModelFilters.router())
                .setInternalAddressConfig(ListenerTranslator.NO_INTERNAL_CLIENTS)
                .build();
        return Listener.newBuilder()
                .setName(NAME)
                .setInternalListener(Listener.InternalListenerConfig.getDefaultInstance())
                .addFilterChains(FilterChain.newBuilder()
                        .addFilters(Filter.newBuilder()
                                .setName("envoy.filters.network.http_connection_manager")
                                .setTypedConfig(Any.pack(connectionManager))))
                .build();
    }
}
