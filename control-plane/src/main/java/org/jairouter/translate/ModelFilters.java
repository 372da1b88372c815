package org.jairouter.translate;

import com.google.protobuf.Any;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.extensions.filters.http.buffer.v3.Buffer;
import io.envoyproxy.envoy.extensions.filters.http.json_to_metadata.v3.JsonToMetadata;
import io.envoyproxy.envoy.extensions.filters.http.lua.v3.Lua;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import java.util.List;
import org.jairouter.config.ServiceType;

/**
 * The HTTP filters that read the request's model into dynamic metadata. Both are off by default and
 * switched on by the routes of the services that need them, so other traffic never pays for them,
 * and a multipart body never meets the JSON reader (which would mark it unparseable).
 *
 * <p>The readers need the whole body. The buffer filter in front of them raises the request's own
 * buffer limit to the largest body accepted, for these requests only; the connection's limit stays
 * small, since it also bounds how much of a response Envoy holds for a client that reads slowly.
 */
final class ModelFilters {
    static final String JSON_READER = "envoy.filters.http.json_to_metadata";
    static final String MULTIPART_READER = "envoy.filters.http.lua";
    static final String BODY_BUFFER = "envoy.filters.http.buffer";
    private static final String MULTIPART_SCRIPT =
            Resources.text("multipart-fields.lua") + Resources.text("multipart-model.lua");

    private ModelFilters() {}

    static String filterFor(ServiceType.RequestBody body) {
        return switch (body) {
            case JSON -> JSON_READER;
            case MULTIPART -> MULTIPART_READER;
        };
    }

    /** The body buffer and the readers, all switched off; the router filter comes after them (and after the usage readers). */
    static List<HttpFilter> httpFilters(long maxRequestBytes) {
        return List.of(
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
                        .setTypedConfig(Any.pack(jsonReader()))
                        .build(),
                HttpFilter.newBuilder()
                        .setName(MULTIPART_READER)
                        .setDisabled(true)
                        .setTypedConfig(Any.pack(Lua.newBuilder()
                                .setDefaultSourceCode(DataSource.newBuilder().setInlineString(MULTIPART_SCRIPT))
                                .build()))
                        .build());
    }

    /** The last filter. No x-envoy-* headers in replies to clients (upstream service time, overloaded...). */
    static HttpFilter router() {
        return HttpFilter.newBuilder()
                .setName("envoy.filters.http.router")
                .setTypedConfig(Any.pack(
                        Router.newBuilder().setSuppressEnvoyHeaders(true).build()))
                .build();
    }

    private static JsonToMetadata jsonReader() {
        return JsonToMetadata.newBuilder()
                .setRequestRules(JsonToMetadata.MatchRules.newBuilder()
                        .addRules(JsonToMetadata.Rule.newBuilder()
                                .addSelectors(
                                        JsonToMetadata.Selector.newBuilder().setKey(Names.MODEL_KEY))
                                .setOnPresent(metadata(Names.MODEL_KEY, null))
                                .setOnMissing(metadata(Names.ERROR_KEY, Names.MISSING_MODEL))
                                .setOnError(metadata(Names.ERROR_KEY, Names.INVALID_BODY)))
                        .setAllowContentTypesRegex(RegexMatcher.newBuilder().setRegex("application/json(;.*)?")))
                .build();
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
