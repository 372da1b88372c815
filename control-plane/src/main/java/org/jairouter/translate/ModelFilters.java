package org.jairouter.translate;

import com.google.protobuf.Any;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.HttpUri;
import io.envoyproxy.envoy.config.route.v3.FilterConfig;
import io.envoyproxy.envoy.extensions.filters.http.buffer.v3.Buffer;
import io.envoyproxy.envoy.extensions.filters.http.buffer.v3.BufferPerRoute;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.BufferSettings;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthz;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.HttpService;
import io.envoyproxy.envoy.extensions.filters.http.json_to_metadata.v3.JsonToMetadata;
import io.envoyproxy.envoy.extensions.filters.http.lua.v3.Lua;
import io.envoyproxy.envoy.extensions.filters.http.lua.v3.LuaPerRoute;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jairouter.config.ServiceType;

/**
 * The HTTP filters that read the request's model into dynamic metadata. Both are off by default and
 * switched on by the routes of the services that need them, so other traffic never pays for them,
 * and a multipart body never meets the JSON reader (which would mark it unparseable).
 *
 * <p>The readers need the whole body. The buffer filter in front of them raises the request's own
 * buffer limit to the largest body accepted, for these requests only; the connection's limit stays
 * small, since it also bounds how much of a response Envoy holds for a client that reads slowly.
 *
 * <p>A multipart upload whose model comes before the file need not be buffered. In front of the buffer,
 * the prefix reader (Lua) sees the chunks as they pass, and the prefix hold keeps the headers until
 * {@link #PREFIX_BYTES} have arrived: Lua cannot hold headers without holding the whole body, so the
 * hold is {@code ext_authz} waiting for that much body and then failing open at once (its cluster does
 * not exist, so no check is ever sent). When the prefix held the model part, the request is matched to
 * the model's route, where the buffer and the whole-body reader are off, and the rest streams through.
 */
final class ModelFilters {
    static final String JSON_READER = "envoy.filters.http.json_to_metadata";
    static final String MULTIPART_READER = "envoy.filters.http.lua";
    static final String BODY_BUFFER = "envoy.filters.http.buffer";
    static final String MULTIPART_PREFIX_READER = "jairouter.model.multipart_prefix";
    static final String PREFIX_HOLD = "jairouter.model.prefix_hold";
    /** Room for the small fields a client sends before the file; a model after them is read from the whole body. */
    static final int PREFIX_BYTES = 16 * 1024;

    /** JSON bodies, by their media type: case-insensitive, as RFC 9110 says media types are. */
    static final RegexMatcher JSON_CONTENT_TYPES =
            RegexMatcher.newBuilder().setRegex("(?i)application/json\\s*(;.*)?").build();

    private static final String MULTIPART_SCRIPT = LuaScripts.of("multipart-fields.lua", "multipart-model.lua");
    private static final String PREFIX_SCRIPT =
            LuaScripts.of("multipart-fields.lua", "multipart-model.lua", "multipart-prefix.lua");
    private static final String NO_SUCH_CLUSTER = "jairouter_prefix_hold_never_called";
    private static final Any ENABLED = Any.pack(
            FilterConfig.newBuilder().setConfig(Any.getDefaultInstance()).build());

    private ModelFilters() {}

    /** The per-route configs that switch on the filters reading a body of this kind. */
    static Map<String, Any> enabledFor(ServiceType.RequestBody body) {
        return switch (body) {
            case JSON -> Map.of(BODY_BUFFER, ENABLED, JSON_READER, ENABLED);
            case MULTIPART ->
                Map.of(
                        MULTIPART_PREFIX_READER, ENABLED,
                        PREFIX_HOLD, ENABLED,
                        BODY_BUFFER, ENABLED,
                        MULTIPART_READER, ENABLED);
        };
    }

    /**
     * For a model's route: a multipart request matched to it from its prefix is not buffered (nor read
     * again). A JSON body is read whole, so its routes change nothing.
     */
    static Map<String, Any> modelRouteConfig(ServiceType.RequestBody body) {
        return switch (body) {
            case JSON -> Map.of();
            case MULTIPART ->
                Map.of(
                        BODY_BUFFER,
                                offForRoute(BufferPerRoute.newBuilder()
                                        .setDisabled(true)
                                        .build()),
                        MULTIPART_READER,
                                offForRoute(LuaPerRoute.newBuilder()
                                        .setDisabled(true)
                                        .build()));
        };
    }

    /**
     * The body buffer and the readers, all switched off, behind the prefix reader and hold where a service
     * takes multipart bodies; the router filter comes after them (and after the usage readers).
     */
    /** @param readStream also read the request's {@code stream} flag (a service routes streams apart) */
    static List<HttpFilter> httpFilters(long maxRequestBytes, boolean multipart, boolean readStream) {
        List<HttpFilter> filters = new ArrayList<>();
        if (multipart) {
            filters.add(HttpFilter.newBuilder()
                    .setName(MULTIPART_PREFIX_READER)
                    .setDisabled(true)
                    .setTypedConfig(Any.pack(Lua.newBuilder()
                            .setDefaultSourceCode(DataSource.newBuilder().setInlineString(PREFIX_SCRIPT))
                            .build()))
                    .build());
            filters.add(HttpFilter.newBuilder()
                    .setName(PREFIX_HOLD)
                    .setDisabled(true)
                    .setTypedConfig(Any.pack(prefixHold()))
                    .build());
        }
        filters.addAll(List.of(
                HttpFilter.newBuilder()
                        .setName(BODY_BUFFER)
                        .setDisabled(true)
                        .setTypedConfig(Any.pack(Buffer.newBuilder()
                                .setMaxRequestBytes(UInt32Value.of((int) maxRequestBytes))
                                .build()))
                        .build(),
                HttpFilter.newBuilder()
                        .setName(JSON_READER)
                        .setDisabled(true)
                        .setTypedConfig(Any.pack(jsonReader(readStream)))
                        .build(),
                HttpFilter.newBuilder()
                        .setName(MULTIPART_READER)
                        .setDisabled(true)
                        .setTypedConfig(Any.pack(Lua.newBuilder()
                                .setDefaultSourceCode(DataSource.newBuilder().setInlineString(MULTIPART_SCRIPT))
                                .build()))
                        .build()));
        return filters;
    }

    /** The last filter. No x-envoy-* headers in replies to clients (upstream service time, overloaded...). */
    static HttpFilter router() {
        return HttpFilter.newBuilder()
                .setName("envoy.filters.http.router")
                .setTypedConfig(Any.pack(
                        Router.newBuilder().setSuppressEnvoyHeaders(true).build()))
                .build();
    }

    private static ExtAuthz prefixHold() {
        return ExtAuthz.newBuilder()
                .setWithRequestBody(BufferSettings.newBuilder()
                        .setMaxRequestBytes(PREFIX_BYTES)
                        .setAllowPartialMessage(true))
                .setFailureModeAllow(true)
                .setHttpService(HttpService.newBuilder()
                        .setServerUri(HttpUri.newBuilder()
                                .setUri("http://127.0.0.1/")
                                .setCluster(NO_SUCH_CLUSTER)
                                .setTimeout(Protos.seconds(1))))
                .build();
    }

    private static Any offForRoute(com.google.protobuf.Message perRoute) {
        return Any.pack(FilterConfig.newBuilder().setConfig(Any.pack(perRoute)).build());
    }

    private static JsonToMetadata jsonReader(boolean readStream) {
        JsonToMetadata.MatchRules.Builder rules = JsonToMetadata.MatchRules.newBuilder()
                .addRules(JsonToMetadata.Rule.newBuilder()
                        .addSelectors(JsonToMetadata.Selector.newBuilder().setKey(Names.MODEL_KEY))
                        .setOnPresent(metadata(Names.MODEL_KEY, null))
                        .setOnMissing(metadata(Names.ERROR_KEY, Names.MISSING_MODEL))
                        .setOnError(metadata(Names.ERROR_KEY, Names.INVALID_BODY)))
                .setAllowContentTypesRegex(JSON_CONTENT_TYPES);
        if (readStream) {
            // Kept as JSON has it (true/false), for the streams' routes to match.
            rules.addRules(JsonToMetadata.Rule.newBuilder()
                    .addSelectors(JsonToMetadata.Selector.newBuilder().setKey(Names.STREAM_KEY))
                    .setOnPresent(metadata(Names.STREAM_KEY, null)));
        }
        return JsonToMetadata.newBuilder().setRequestRules(rules).build();
    }

    /** Writes the selected value when {@code value} is null, else the given marker. */
    private static JsonToMetadata.KeyValuePair metadata(String key, String value) {
        JsonToMetadata.KeyValuePair.Builder pair = JsonToMetadata.KeyValuePair.newBuilder()
                .setMetadataNamespace(Names.METADATA_NAMESPACE)
                .setKey(key);
        if (value != null) {
            pair.setValue(Protos.string(value));
        }
        return pair.build();
    }
}
