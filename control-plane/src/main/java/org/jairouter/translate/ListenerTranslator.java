package org.jairouter.translate;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.CidrRange;
import io.envoyproxy.envoy.config.core.v3.Http1ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.listener.v3.ListenerFilter;
import io.envoyproxy.envoy.extensions.filters.listener.http_inspector.v3.HttpInspector;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import java.util.List;
import java.util.stream.Collectors;
import org.jairouter.config.ApiKeys;
import org.jairouter.config.ListenerSettings;
import org.jairouter.config.Monitoring;
import org.jairouter.config.RouterConfig;
import org.jairouter.config.ServiceType;
import org.jairouter.ir.RouterIr;

/**
 * The one listener, set up as an edge proxy facing untrusted clients (Envoy's edge best practices).
 * Its routes come by RDS, so a route change never drains it.
 */
final class ListenerTranslator {
    /** A silent stream (no bytes either way) is ended after this; live streams are never cut. */
    static final long STREAM_IDLE_SECONDS = 300;
    /**
     * A new connection has this long to send its first bytes, else it is closed. Envoy's HTTP timeouts
     * start with the first request byte (request_headers_timeout) or bound an idle connection (its
     * idle_timeout, here 300 s) whether it is new or between requests: only a listener filter still
     * waiting for data (the HTTP inspector) bounds a connection that never sends anything.
     */
    private static final long FIRST_BYTES_SECONDS = 10;
    /** A client has this long to send its request headers (slowloris). */
    private static final long REQUEST_HEADERS_SECONDS = 10;
    /** A keep-alive connection with no request in flight is closed after this. */
    private static final long CONNECTION_IDLE_SECONDS = 300;
    /**
     * How much Envoy holds per client connection, either way. It bounds the memory a client that reads
     * a large response slowly can pin; bodies the model readers need whole get their own request limit.
     */
    static final int CONNECTION_BUFFER_BYTES = 1 << 20;
    /**
     * HTTP/2 windows from Envoy's edge example (streams per connection: server.http2): a client cannot
     * make Envoy hold unbounded request data.
     */
    private static final int H2_STREAM_WINDOW = 64 * 1024;

    private static final int H2_CONNECTION_WINDOW = 1 << 20;

    private ListenerTranslator() {}

    static Listener listener(RouterIr ir) {
        RouterConfig config = ir.config();
        ListenerSettings settings = config.listener();
        ApiKeys keys = config.apiKeys();
        Monitoring monitoring = config.monitoring();
        boolean lowPriority = ir.services().values().stream()
                .anyMatch(service -> !service.lowPriorityGatedModels().isEmpty());
        HttpConnectionManager connectionManager = HttpConnectionManager.newBuilder()
                .setStatPrefix("jairouter")
                .setCodecType(HttpConnectionManager.CodecType.AUTO)
                .setRds(Rds.newBuilder().setConfigSource(Protos.ads()).setRouteConfigName(Names.ROUTE_CONFIG))
                // Before anything reads them: a client's copies of the router's own headers.
                .addHttpFilters(InternalHeaders.clientCopiesRemoved())
                // Keys next: nothing else runs, nor is any body read, for a client without one.
                .addAllHttpFilters(ClientKeys.httpFilters(keys))
                .addAllHttpFilters(ModelFilters.httpFilters(
                        settings.maxRequestBytes(),
                        config.services().keySet().stream()
                                .map(ServiceType::modelSource)
                                .collect(Collectors.toSet()),
                        ir.waitsForFirstTokens()))
                // The prompt's prefix key once the body is whole, for the ring's hash (prefix affinity).
                .addAllHttpFilters(
                        config.services().values().stream().anyMatch(PromptPrefixKey::takenFor)
                                ? PromptPrefixKey.httpFilters()
                                : List.of())
                // Limits after the model readers: a model's bucket needs the model from the body.
                .addAllHttpFilters(RateLimits.httpFilter(ir).stream().toList())
                .addAllHttpFilters(ClientKeys.quotaMarker(keys).stream().toList())
                // An answer held whole must fit the stream's buffer limit, which the body buffer sets to the
                // largest request, and the connection's.
                .addAllHttpFilters(UsageFilters.httpFilters(
                        monitoring, Math.min(settings.maxRequestBytes(), CONNECTION_BUFFER_BYTES)))
                // Moves the instance a low-priority gate reports off the answer, into the request's record.
                .addAllHttpFilters(lowPriority ? List.of(LowPriorityGates.instanceRecorder()) : List.of())
                .addAllHttpFilters(
                        RequestStarts.keyIdState(monitoring, keys).stream().toList())
                .addHttpFilters(ModelFilters.router(RequestStarts.upstreamLog(monitoring, keys)))
                .addAllAccessLog(AccessLogs.accessLogs(monitoring, keys.enforced(), lowPriority))
                .setLocalReplyConfig(ErrorReplies.localReplyConfig(
                        settings.maxRequestBytes(),
                        keys.enforced(),
                        RateLimits.httpFilter(ir).isPresent(),
                        config.services().values().stream()
                                .anyMatch(service -> service.circuitBreaker().maxConcurrentRequests() > 0),
                        lowPriority,
                        ir.waitsForFirstTokens()))
                .setStreamIdleTimeout(Protos.seconds(STREAM_IDLE_SECONDS))
                .setRequestHeadersTimeout(Protos.seconds(REQUEST_HEADERS_SECONDS))
                .setCommonHttpProtocolOptions(HttpProtocolOptions.newBuilder()
                        .setIdleTimeout(Protos.seconds(CONNECTION_IDLE_SECONDS))
                        // A header spelt with underscores could pass as another one at a backend (CGI style).
                        .setHeadersWithUnderscoresAction(HttpProtocolOptions.HeadersWithUnderscoresAction.DROP_HEADER))
                .setHttpProtocolOptions(
                        Http1ProtocolOptions.newBuilder().setAcceptHttp10(true).setDefaultHostForHttp10(Names.LISTENER))
                .setHttp2ProtocolOptions(Http2ProtocolOptions.newBuilder()
                        .setMaxConcurrentStreams(UInt32Value.of(settings.http2MaxConcurrentStreams()))
                        .setInitialStreamWindowSize(UInt32Value.of(H2_STREAM_WINDOW))
                        .setInitialConnectionWindowSize(UInt32Value.of(H2_CONNECTION_WINDOW)))
                // Backends' own Server headers pass; Envoy adds none of its own.
                .setServerHeaderTransformation(HttpConnectionManager.ServerHeaderTransformation.PASS_THROUGH)
                // The client address (for ip-hash) is the connecting one unless proxies are trusted.
                .setUseRemoteAddress(BoolValue.of(true))
                .setXffNumTrustedHops(settings.trustedProxyHops())
                .setInternalAddressConfig(NO_INTERNAL_CLIENTS)
                .setNormalizePath(BoolValue.of(true))
                .setMergeSlashes(true)
                .build();
        return Listener.newBuilder()
                .setName(Names.LISTENER)
                .setAddress(Address.newBuilder()
                        .setSocketAddress(SocketAddress.newBuilder()
                                .setAddress(settings.address())
                                .setPortValue(settings.port())))
                .setPerConnectionBufferLimitBytes(UInt32Value.of(CONNECTION_BUFFER_BYTES))
                .addListenerFilters(ListenerFilter.newBuilder()
                        .setName("envoy.filters.listener.http_inspector")
                        .setTypedConfig(Any.pack(HttpInspector.getDefaultInstance())))
                .setListenerFiltersTimeout(Protos.seconds(FIRST_BYTES_SECONDS))
                .addFilterChains(FilterChain.newBuilder()
                        .addFilters(Filter.newBuilder()
                                .setName("envoy.filters.network.http_connection_manager")
                                .setTypedConfig(Any.pack(connectionManager))))
                .build();
    }

    /**
     * No client is internal, loopback and private networks included: Envoy honours {@code x-envoy-*}
     * request headers (timeouts, retries) only from internal clients, and strips them from the rest.
     * An empty list would mean Envoy's default (private ranges), so the one range is an address no
     * TCP client can have.
     */
    static final HttpConnectionManager.InternalAddressConfig NO_INTERNAL_CLIENTS =
            HttpConnectionManager.InternalAddressConfig.newBuilder()
                    .setUnixSockets(false)
                    .addCidrRanges(CidrRange.newBuilder()
                            .setAddressPrefix("255.255.255.255")
                            .setPrefixLen(UInt32Value.of(32)))
                    .build();
}
