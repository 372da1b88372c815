package org.jairouter.translate;

import com.google.protobuf.Any;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.accesslog.v3.AccessLog;
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
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Predicate;
import org.jairouter.config.ModelSource;

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
 *
 * <p>A custom service may read its model elsewhere ({@link ModelSource}): another JSON field has a
 * json_to_metadata filter of its own; another multipart field a named script of the multipart reader (the
 * body read whole: the prefix reader knows the {@code model} field only); a query parameter or a header
 * the request-line reader (Lua), which reads no body, a named script per source, chosen by the route.
 */
final class ModelFilters {
    static final String JSON_READER = "envoy.filters.http.json_to_metadata";
    static final String MULTIPART_READER = "envoy.filters.http.lua";
    static final String BODY_BUFFER = "envoy.filters.http.buffer";
    static final String MULTIPART_PREFIX_READER = "jairouter.model.multipart_prefix";
    static final String REQUEST_LINE_READER = "jairouter.model.request_line";
    private static final String CUSTOM_JSON_READER_PREFIX = "jairouter.model.json.";
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

    /** The per-route configs that switch on the filters reading the model from this source. */
    static Map<String, Any> enabledFor(ModelSource source) {
        if (source.equals(ModelSource.JSON_MODEL)) {
            return Map.of(BODY_BUFFER, ENABLED, JSON_READER, ENABLED);
        }
        if (source.equals(ModelSource.MULTIPART_MODEL)) {
            return Map.of(
                    MULTIPART_PREFIX_READER, ENABLED,
                    PREFIX_HOLD, ENABLED,
                    BODY_BUFFER, ENABLED,
                    MULTIPART_READER, ENABLED);
        }
        return switch (source.kind()) {
            case JSON -> Map.of(BODY_BUFFER, ENABLED, customJsonReader(source), ENABLED);
            case MULTIPART -> Map.of(BODY_BUFFER, ENABLED, MULTIPART_READER, namedScript(source));
            case QUERY, HEADER -> Map.of(REQUEST_LINE_READER, namedScript(source));
        };
    }

    /**
     * For a model's route: a multipart request matched to it from its prefix is not buffered (nor read
     * again). Other bodies are read whole (and requests named on their request line not at all), so their
     * routes change nothing.
     */
    static Map<String, Any> modelRouteConfig(ModelSource source) {
        if (!source.equals(ModelSource.MULTIPART_MODEL)) {
            return Map.of();
        }
        return Map.of(
                BODY_BUFFER,
                        offForRoute(
                                BufferPerRoute.newBuilder().setDisabled(true).build()),
                MULTIPART_READER,
                        offForRoute(LuaPerRoute.newBuilder().setDisabled(true).build()));
    }

    /**
     * The body buffer and the readers, all switched off, behind the prefix reader and hold where a service
     * takes multipart bodies; the router filter comes after them (and after the usage readers). The readers of
     * custom services' sources come only with them.
     *
     * @param sources    where the config's services read their models
     * @param readStream also read the request's {@code stream} flag (a service routes streams apart)
     */
    static List<HttpFilter> httpFilters(long maxRequestBytes, Set<ModelSource> sources, boolean readStream) {
        List<HttpFilter> filters = new ArrayList<>();
        Map<String, DataSource> requestLineScripts = scripts(
                sources,
                source -> !source.inBody(),
                source -> LuaScripts.of(
                        Map.of(
                                "MODEL_SOURCE",
                                source.kind().name().toLowerCase(Locale.ROOT),
                                "MODEL_NAME",
                                source.name()),
                        "request-line-model.lua"));
        if (!requestLineScripts.isEmpty()) {
            // Nothing to buffer: first, so the model's route is known before any body filter runs.
            filters.add(HttpFilter.newBuilder()
                    .setName(REQUEST_LINE_READER)
                    .setDisabled(true)
                    .setTypedConfig(Any.pack(Lua.newBuilder()
                            .putAllSourceCodes(requestLineScripts)
                            .build()))
                    .build());
        }
        if (sources.contains(ModelSource.MULTIPART_MODEL)) {
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
                        .setTypedConfig(Any.pack(jsonReader(ModelSource.JSON_MODEL.name(), readStream)))
                        .build()));
        sources.stream()
                .filter(source -> source.kind() == ModelSource.Kind.JSON && !source.isModelField())
                .sorted(Comparator.comparing(ModelSource::name))
                .forEach(source -> filters.add(HttpFilter.newBuilder()
                        .setName(customJsonReader(source))
                        .setDisabled(true)
                        .setTypedConfig(Any.pack(jsonReader(source.name(), false)))
                        .build()));
        filters.add(HttpFilter.newBuilder()
                .setName(MULTIPART_READER)
                .setDisabled(true)
                .setTypedConfig(Any.pack(Lua.newBuilder()
                        .setDefaultSourceCode(DataSource.newBuilder().setInlineString(MULTIPART_SCRIPT))
                        .putAllSourceCodes(scripts(
                                sources,
                                source -> source.kind() == ModelSource.Kind.MULTIPART && !source.isModelField(),
                                source -> LuaScripts.of(
                                        Map.of("MODEL_FIELD", source.name()),
                                        "multipart-fields.lua",
                                        "multipart-model.lua")))
                        .build()))
                .build());
        return filters;
    }

    /** The named scripts of the sources that pass the filter, by name ({@link #namedScript}). */
    private static Map<String, DataSource> scripts(
            Set<ModelSource> sources, Predicate<ModelSource> which, Function<ModelSource, String> script) {
        Map<String, DataSource> scripts = new TreeMap<>();
        sources.stream()
                .filter(which)
                .forEach(source -> scripts.put(
                        source.toString(),
                        DataSource.newBuilder()
                                .setInlineString(script.apply(source))
                                .build()));
        return scripts;
    }

    /** Switches a Lua reader on for a route, with the named script of the source. */
    private static Any namedScript(ModelSource source) {
        return Any.pack(FilterConfig.newBuilder()
                .setConfig(Any.pack(
                        LuaPerRoute.newBuilder().setName(source.toString()).build()))
                .build());
    }

    private static String customJsonReader(ModelSource source) {
        return CUSTOM_JSON_READER_PREFIX + source.name();
    }

    /** The last filter. No x-envoy-* headers in replies to clients (upstream service time, overloaded...). */
    static HttpFilter router() {
        return router(Optional.empty());
    }

    /** The last filter, with a log of each upstream stream as it starts (not only as the request ends). */
    static HttpFilter router(Optional<AccessLog> streamStarts) {
        Router.Builder router = Router.newBuilder().setSuppressEnvoyHeaders(true);
        streamStarts.ifPresent(log -> router.addUpstreamLog(log)
                .setUpstreamLogOptions(
                        Router.UpstreamAccessLogOptions.newBuilder().setFlushUpstreamLogOnUpstreamStream(true)));
        return HttpFilter.newBuilder()
                .setName("envoy.filters.http.router")
                .setTypedConfig(Any.pack(router.build()))
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

    /** Reads the body's top-level {@code field} as the model, and with {@code readStream} its stream flag. */
    private static JsonToMetadata jsonReader(String field, boolean readStream) {
        JsonToMetadata.MatchRules.Builder rules = JsonToMetadata.MatchRules.newBuilder()
                .addRules(JsonToMetadata.Rule.newBuilder()
                        .addSelectors(JsonToMetadata.Selector.newBuilder().setKey(field))
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
