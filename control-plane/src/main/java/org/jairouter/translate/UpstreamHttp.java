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
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.jairouter.config.ExtraEndpoint;

/**
 * How a cluster talks HTTP to its instances: HTTP/1.1, as every model server speaks it, with idle
 * connections closed before a typical server's keep-alive timeout (uvicorn's is 5 s) so that a
 * request never races the server closing the connection it was sent on.
 *
 * <p>Some things differ per instance of one model, and no route field can do them, since the route is
 * chosen before the instance: its own path (a GPUStack and an Ollama serving one model) and its own
 * headers (an API key). The cluster then gets upstream filters, which run after the instance is chosen
 * (and again on each retry): header_mutation writes each instance header from the chosen endpoint's
 * metadata (an instance without that header leaves the client's untouched), and for paths copies the
 * instance's path into a private header (it may not write :path itself) that a Lua filter moves into
 * :path; upstream_codec, last, sends the request. The other APIs of the service ({@code ExtraEndpoint})
 * have their paths per instance too: each is copied into a header of its own, and the API's route names
 * the API in {@link #API_HEADER}, so the Lua filter knows which to take.
 *
 * <p>A model with fallbacks is routed to an aggregate cluster over its chain, and Envoy runs the
 * aggregate's upstream filters, never those of the member cluster the instance belongs to: checked
 * on Envoy 1.40. So the aggregate carries the filters of every member, and one more: header_mutation
 * writes the requested model (fixed per aggregate) and the chosen instance's model (its endpoint
 * metadata) into private headers, and a Lua filter rewrites the body's model when they differ.
 *
 * <p>A service with a first-token timeout adds the filter that holds a stream's headers until its first
 * token ({@link FirstTokenWait}).
 */
final class UpstreamHttp {
    static final String PROTOCOL_OPTIONS = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";
    static final String PATH_HEADER = Names.INTERNAL_HEADER_PREFIX + "endpoint-path";
    /** Set by the route of another API of the service ({@code ExtraEndpoint#key()}): which path to take. */
    static final String API_HEADER = Names.INTERNAL_HEADER_PREFIX + "api";
    /** The endpoint metadata key (under the jairouter namespace) of an instance's paths of the other APIs. */
    static final String API_PATHS_KEY = "api_paths";

    static final String REQUESTED_MODEL_HEADER = Names.INTERNAL_HEADER_PREFIX + "requested-model";
    static final String INSTANCE_MODEL_HEADER = Names.INTERNAL_HEADER_PREFIX + "instance-model";
    /** The endpoint metadata key (under the jairouter namespace) of the model an instance serves, on fallback chains. */
    static final String MODEL_KEY = "model";

    private static final String PATH_SCRIPT = LuaScripts.of("endpoint-path.lua");
    private static final String FALLBACK_SCRIPT = LuaScripts.of("multipart-fields.lua", "fallback-model.lua");
    private static final long IDLE_TIMEOUT_SECONDS = 4;

    private UpstreamHttp() {}

    /** The endpoint metadata key (under the jairouter namespace) that holds an instance's headers. */
    static final String HEADERS_KEY = "headers";

    /**
     * @param perInstancePaths when the route cannot rewrite the path for all instances at once, the other APIs
     *                         (besides the service path) whose paths each instance gets its own of
     */
    static HttpProtocolOptions options(Optional<List<ExtraEndpoint>> perInstancePaths, Set<String> instanceHeaders) {
        return options(perInstancePaths, instanceHeaders, Optional.empty(), false);
    }

    /**
     * @param requestedModel   for a fallback aggregate, the model its requests ask for
     * @param firstTokenWaited whether its service has a first-token timeout ({@link FirstTokenWait})
     */
    static HttpProtocolOptions options(
            Optional<List<ExtraEndpoint>> perInstancePaths,
            Set<String> instanceHeaders,
            Optional<String> requestedModel,
            boolean firstTokenWaited) {
        HttpProtocolOptions.Builder options = HttpProtocolOptions.newBuilder()
                .setCommonHttpProtocolOptions(io.envoyproxy.envoy.config.core.v3.HttpProtocolOptions.newBuilder()
                        .setIdleTimeout(Protos.seconds(IDLE_TIMEOUT_SECONDS)))
                .setExplicitHttpConfig(HttpProtocolOptions.ExplicitHttpConfig.newBuilder()
                        .setHttpProtocolOptions(Http1ProtocolOptions.getDefaultInstance()));
        if (perInstancePaths.isEmpty() && instanceHeaders.isEmpty() && requestedModel.isEmpty() && !firstTokenWaited) {
            return options.build();
        }
        Mutations.Builder mutations = Mutations.newBuilder();
        for (String name : instanceHeaders) {
            mutations.addRequestMutations(setFromEndpoint(name, HEADERS_KEY + ":" + name));
        }
        perInstancePaths.ifPresent(apis -> {
            // A client's copy of the private headers was removed on arrival (InternalHeaders).
            mutations.addRequestMutations(setFromEndpoint(PATH_HEADER, "path"));
            for (ExtraEndpoint api : apis) {
                mutations.addRequestMutations(setFromEndpoint(apiPathHeader(api), API_PATHS_KEY + ":" + api.key()));
            }
        });
        requestedModel.ifPresent(model -> mutations
                .addRequestMutations(set(REQUESTED_MODEL_HEADER, model.replace("%", "%%")))
                .addRequestMutations(setFromEndpoint(INSTANCE_MODEL_HEADER, MODEL_KEY)));
        if (mutations.getRequestMutationsCount() > 0) {
            options.addHttpFilters(HttpFilter.newBuilder()
                    .setName("envoy.filters.http.header_mutation")
                    .setTypedConfig(Any.pack(
                            io.envoyproxy.envoy.extensions.filters.http.header_mutation.v3.HeaderMutation.newBuilder()
                                    .setMutations(mutations)
                                    .build())));
        }
        if (perInstancePaths.isPresent()) {
            options.addHttpFilters(lua("jairouter.upstream.endpoint_path", PATH_SCRIPT));
        }
        if (requestedModel.isPresent()) {
            options.addHttpFilters(lua("jairouter.upstream.fallback_model", FALLBACK_SCRIPT));
        }
        if (firstTokenWaited) {
            options.addHttpFilters(FirstTokenWait.upstreamFilter());
        }
        options.addHttpFilters(HttpFilter.newBuilder()
                .setName("envoy.filters.http.upstream_codec")
                .setTypedConfig(Any.pack(UpstreamCodec.getDefaultInstance())));
        return options.build();
    }

    /** The private header the instance's path of another API is copied into. */
    private static String apiPathHeader(ExtraEndpoint api) {
        return PATH_HEADER + "-" + api.key();
    }

    /**
     * Named apart from the downstream Lua filter: an upstream filter takes the route's per-filter config
     * of its name, and a multipart model's route switches the downstream reader off by name, which
     * switched these off too (the fallback's body kept the requested model).
     */
    private static HttpFilter lua(String name, String script) {
        return HttpFilter.newBuilder()
                .setName(name)
                .setTypedConfig(Any.pack(Lua.newBuilder()
                        .setDefaultSourceCode(DataSource.newBuilder().setInlineString(script))
                        .build()))
                .build();
    }

    /**
     * Sets a request header to the chosen endpoint's metadata value at the given key path; absent
     * metadata leaves the request's header alone (Envoy skips an empty value).
     */
    private static HeaderMutation setFromEndpoint(String header, String metadataKey) {
        return set(header, upstreamMetadata(metadataKey));
    }

    /** A formatter for the chosen endpoint's metadata value at the key path, for header values. */
    static String upstreamMetadata(String metadataKey) {
        return "%UPSTREAM_METADATA(" + Names.METADATA_NAMESPACE + ":" + metadataKey + ")%";
    }

    /** Sets a request header, replacing any copy the client sent. */
    private static HeaderMutation set(String header, String value) {
        return HeaderMutation.newBuilder()
                .setAppend(HeaderValueOption.newBuilder()
                        .setHeader(HeaderValue.newBuilder().setKey(header).setValue(value))
                        .setAppendAction(HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD))
                .build();
    }
}
