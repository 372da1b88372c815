package org.jairouter.translate;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import org.jairouter.config.ListenerSettings;
import org.jairouter.config.Monitoring;

/**
 * The one listener. Its routes come by RDS, so a route change never drains it; its buffer limit is
 * the largest request body accepted, because the model readers buffer whole bodies.
 */
final class ListenerTranslator {
    /** A silent stream (no bytes either way) is ended after this; live streams are never cut. */
    private static final long STREAM_IDLE_SECONDS = 300;

    private ListenerTranslator() {
    }

    static Listener listener(ListenerSettings settings, Monitoring monitoring) {
        HttpConnectionManager connectionManager = HttpConnectionManager.newBuilder()
                .setStatPrefix("jairouter")
                .setCodecType(HttpConnectionManager.CodecType.AUTO)
                .setRds(Rds.newBuilder().setConfigSource(Protos.ads()).setRouteConfigName(Names.ROUTE_CONFIG))
                .addAllHttpFilters(ModelFilters.httpFilters())
                .addAllHttpFilters(UsageFilters.httpFilters(monitoring))
                .addHttpFilters(HttpFilter.newBuilder().setName("envoy.filters.http.router")
                        .setTypedConfig(Any.pack(Router.getDefaultInstance())))
                .addAllAccessLog(AccessLogs.accessLogs(monitoring))
                .setLocalReplyConfig(ErrorReplies.localReplyConfig(settings.maxRequestBytes()))
                .setStreamIdleTimeout(Protos.seconds(STREAM_IDLE_SECONDS))
                // The client address (for ip-hash) is the connecting one unless proxies are trusted.
                .setUseRemoteAddress(BoolValue.of(true))
                .setXffNumTrustedHops(settings.trustedProxyHops())
                .setNormalizePath(BoolValue.of(true))
                .setMergeSlashes(true)
                .build();
        return Listener.newBuilder()
                .setName(Names.LISTENER)
                .setAddress(Address.newBuilder().setSocketAddress(SocketAddress.newBuilder()
                        .setAddress(settings.address())
                        .setPortValue(settings.port())))
                .setPerConnectionBufferLimitBytes(UInt32Value.of((int) settings.maxRequestBytes()))
                .addFilterChains(FilterChain.newBuilder().addFilters(Filter.newBuilder()
                        .setName("envoy.filters.network.http_connection_manager")
                        .setTypedConfig(Any.pack(connectionManager))))
                .build();
    }
}
