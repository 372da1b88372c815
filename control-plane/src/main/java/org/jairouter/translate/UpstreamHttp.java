package org.jairouter.translate;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
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
 * Gives each instance of a model its own upstream path when the instances' paths differ (a GPUStack
 * and an Ollama serving one model). No route field can do that, since the route is chosen before
 * the instance; so the cluster gets upstream filters, which run after the instance is chosen:
 * header_mutation copies the instance's path from its endpoint metadata into a private header (it
 * may not write :path itself), a Lua filter moves it into :path, and upstream_codec sends the request.
 */
final class EndpointPaths {
    static final String HEADER = "x-jairouter-endpoint-path";
    private static final String SCRIPT = Resources.text("endpoint-path.lua");
    private static final String PROTOCOL_OPTIONS = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

    private EndpointPaths() {
    }

    static void apply(Cluster.Builder cluster) {
        HttpProtocolOptions options = HttpProtocolOptions.newBuilder()
                .setExplicitHttpConfig(HttpProtocolOptions.ExplicitHttpConfig.newBuilder()
                        .setHttpProtocolOptions(Http1ProtocolOptions.getDefaultInstance()))
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
                        .setTypedConfig(Any.pack(UpstreamCodec.getDefaultInstance())))
                .build();
        cluster.putTypedExtensionProtocolOptions(PROTOCOL_OPTIONS, Any.pack(options));
    }
}
