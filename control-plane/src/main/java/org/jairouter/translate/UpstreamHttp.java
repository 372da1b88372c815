package org.jairouter.translate;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.common.mutation_rules.v3.HeaderMutation;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.Http1ProtocolOptions;
import io.envoyproxy.envoy.extensions.filters.http.header_mutation.v3.Mutations;
import io.envoyproxy.envoy.extensions.filters.http.lua.v3.Lua;
import io.envoyproxy.envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodec;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;

/**
 * How a cluster talks HTTP to its instances: HTTP/1.1, as every model server speaks it, with idle
 * connections closed before a typical server's keep-alive timeout (uvicorn's is 5 s) so that a
 * request never races the server closing the connection it was sent on.
 *
 * <p>When the instances of a model have different paths (a GPUStack and an Ollama serving one
 * model), no route field can give each its own, since the route is chosen before the instance. The
 * cluster then gets upstream filters, which run after the instance is chosen (and again on each
 * retry): header_mutation copies the instance's path from its endpoint metadata into a private header
 * (it may not write :path itself), a Lua filter moves it into :path, and upstream_codec sends the
 * request.
 */
final class UpstreamHttp {
    static final String PROTOCOL_OPTIONS = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";
    static final String HEADER = "x-jairouter-endpoint-path";
    private static final String SCRIPT = Resources.text("endpoint-path.lua");
    private static final long IDLE_TIMEOUT_SECONDS = 4;

    private UpstreamHttp() {
    }

    static HttpProtocolOptions options(boolean perInstancePaths) {
        HttpProtocolOptions.Builder options = HttpProtocolOptions.newBuilder()
                .setCommonHttpProtocolOptions(io.envoyproxy.envoy.config.core.v3.HttpProtocolOptions.newBuilder()
                        .setIdleTimeout(Protos.seconds(IDLE_TIMEOUT_SECONDS)))
                .setExplicitHttpConfig(HttpProtocolOptions.ExplicitHttpConfig.newBuilder()
                        .setHttpProtocolOptions(Http1ProtocolOptions.getDefaultInstance()));
        if (perInstancePaths) {
            addPathFilters(options);
        }
        return options.build();
    }

    private static void addPathFilters(HttpProtocolOptions.Builder options) {
        options
                .addHttpFilters(HttpFilter.newBuilder()
                        .setName("envoy.filters.http.header_mutation")
                        .setTypedConfig(Any.pack(io.envoyproxy.envoy.extensions.filters.http.header_mutation.v3.HeaderMutation
                                .newBuilder()
                                .setMutations(Mutations.newBuilder()
                                        // A client-sent copy of the private header never counts.
                                        .addRequestMutations(HeaderMutation.newBuilder().setRemove(HEADER))
                                        .addRequestMutations(HeaderMutation.newBuilder().setAppend(HeaderValueOption.newBuilder()
                                                .setHeader(HeaderValue.newBuilder()
                                                        .setKey(HEADER)
                                                        .setValue("%UPSTREAM_METADATA(" + Names.METADATA_NAMESPACE + ":path)%"))
                                                .setAppendAction(HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD))))
                                .build())))
                .addHttpFilters(HttpFilter.newBuilder()
                        .setName("envoy.filters.http.lua")
                        .setTypedConfig(Any.pack(Lua.newBuilder()
                                .setDefaultSourceCode(DataSource.newBuilder().setInlineString(SCRIPT)).build())))
                .addHttpFilters(HttpFilter.newBuilder()
                        .setName("envoy.filters.http.upstream_codec")
                        .setTypedConfig(Any.pack(UpstreamCodec.getDefaultInstance())));
    }
}
