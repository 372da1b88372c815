package org.jairouter.translate;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.SubstitutionFormatString;
import io.envoyproxy.envoy.config.route.v3.FilterConfig;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.extensions.filters.common.set_filter_state.v3.FilterStateValue;
import io.envoyproxy.envoy.extensions.filters.http.lua.v3.Lua;
import io.envoyproxy.envoy.extensions.filters.http.set_filter_state.v3.Config;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.util.List;
import java.util.Map;
import org.jairouter.config.ServiceConfig;
import org.jairouter.config.ServiceType;

/**
 * Prefix affinity's key: what a request's prompt begins with, for the consistent-hash ring, so that a
 * conversation returns to the instance whose prefix cache holds it, with nothing from the client.
 *
 * <p>No native filter reads an array element of the body (json_to_metadata and the transform filter
 * select object keys only), so a Lua script takes the key from the body's head, which the body buffer
 * already holds: for chat the messages up to the end of the first user message (see {@code
 * prompt-prefix-key.lua}), into dynamic metadata. Route hash policies read headers or filter state, not
 * metadata, so set_filter_state copies it into a hashable filter state object, which, unlike a header,
 * is never sent upstream and is still there when a retry hashes again. Both filters are off unless a
 * service with prefix affinity switches them on for its routes, so other traffic never runs the script.
 */
final class PromptPrefixKey {
    static final String SCRIPT_FILTER = "jairouter.prefix_key.script";
    static final String STATE_FILTER = "jairouter.prefix_key.state";
    /** The filter state object the route hashes. */
    static final String STATE_KEY = "jairouter.prefix_key";

    static final String NAMESPACE = "jairouter.prefix";
    static final String METADATA_KEY = "key";
    /** The body's head the script reads first: a usual system prompt and first question fit. */
    static final int FIRST_BYTES = 4 * 1024;
    /** The most the script reads: room for a long system prompt and a first question. */
    static final int HEAD_BYTES = 16 * 1024;
    /** The longest key: a longer span is known by its two ends and its length. */
    static final int KEY_BYTES = 512;

    private static final String SCRIPT = LuaScripts.of("prompt-prefix-key.lua");
    private static final Any ENABLED = Any.pack(
            FilterConfig.newBuilder().setConfig(Any.getDefaultInstance()).build());

    private PromptPrefixKey() {}

    /** Whether the service's routes take the key: it asks for prefix affinity and its requests have a prompt. */
    static boolean takenFor(ServiceConfig service) {
        return service.loadBalancing().prefix().isPresent() && service.type() == ServiceType.CHAT;
    }

    /** The script and the copy into filter state, both off; after the body readers (the body is whole by then). */
    static List<HttpFilter> httpFilters() {
        return List.of(
                HttpFilter.newBuilder()
                        .setName(SCRIPT_FILTER)
                        .setDisabled(true)
                        .setTypedConfig(Any.pack(Lua.newBuilder()
                                .setDefaultSourceCode(DataSource.newBuilder().setInlineString(SCRIPT))
                                .build()))
                        .build(),
                HttpFilter.newBuilder()
                        .setName(STATE_FILTER)
                        .setDisabled(true)
                        .setTypedConfig(Any.pack(Config.newBuilder()
                                .addOnRequestHeaders(FilterStateValue.newBuilder()
                                        .setObjectKey(STATE_KEY)
                                        .setFactoryKey("envoy.hashable_string")
                                        .setFormatString(SubstitutionFormatString.newBuilder()
                                                .setTextFormatSource(DataSource.newBuilder()
                                                        .setInlineString("%DYNAMIC_METADATA(" + NAMESPACE + ":"
                                                                + METADATA_KEY + ")%"))
                                                .setOmitEmptyValues(true))
                                        // No key (no prompt found): no object, so the ring hashes at random.
                                        .setSkipIfEmpty(true))
                                .build()))
                        .build());
    }

    /** For every route of such a service that can match before the body is read: both filters on. */
    static Map<String, Any> perRoute(ServiceConfig service) {
        return takenFor(service) ? Map.of(SCRIPT_FILTER, ENABLED, STATE_FILTER, ENABLED) : Map.of();
    }

    /** The route's hash of the key, after a session header's (which, when present, decides). */
    static RouteAction.HashPolicy hashPolicy() {
        return RouteAction.HashPolicy.newBuilder()
                .setFilterState(RouteAction.HashPolicy.FilterState.newBuilder().setKey(STATE_KEY))
                .build();
    }
}
