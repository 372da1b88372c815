package org.jairouter.translate;

import com.github.xds.type.v3.TypedStruct;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.config.route.v3.FilterConfig;
import io.envoyproxy.envoy.extensions.access_loggers.file.v3.FileAccessLog;
import io.envoyproxy.envoy.extensions.access_loggers.open_telemetry.v3.OpenTelemetryAccessLogConfig;
import io.envoyproxy.envoy.extensions.clusters.aggregate.v3.ClusterConfig;
import io.envoyproxy.envoy.extensions.filters.http.buffer.v3.Buffer;
import io.envoyproxy.envoy.extensions.filters.http.header_mutation.v3.HeaderMutation;
import io.envoyproxy.envoy.extensions.filters.http.json_to_metadata.v3.JsonToMetadata;
import io.envoyproxy.envoy.extensions.filters.http.lua.v3.Lua;
import io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodec;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.load_balancing_policies.least_request.v3.LeastRequest;
import io.envoyproxy.envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate;
import io.envoyproxy.envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import java.util.List;
import java.util.stream.Collectors;

/** Envoy resources as the JSON Envoy itself reads (for golden files, bootstraps and debugging). */
public final class EnvoyJson {
    /** Every message type the translator packs into an Any. */
    private static final JsonFormat.TypeRegistry TYPES = JsonFormat.TypeRegistry.newBuilder()
            .add(List.of(
                    HttpConnectionManager.getDescriptor(),
                    JsonToMetadata.getDescriptor(),
                    Lua.getDescriptor(),
                    Router.getDescriptor(),
                    FilterConfig.getDescriptor(),
                    HttpProtocolOptions.getDescriptor(),
                    HeaderMutation.getDescriptor(),
                    UpstreamCodec.getDescriptor(),
                    LeastRequest.getDescriptor(),
                    PreviousHostsPredicate.getDescriptor(),
                    UpstreamTlsContext.getDescriptor(),
                    Buffer.getDescriptor(),
                    TypedStruct.getDescriptor(),
                    FileAccessLog.getDescriptor(),
                    OpenTelemetryAccessLogConfig.getDescriptor()))
            .add(List.of(
                    RBAC.getDescriptor(),
                    io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthz.getDescriptor(),
                    io.envoyproxy.envoy.extensions.filters.http.buffer.v3.BufferPerRoute.getDescriptor(),
                    io.envoyproxy.envoy.extensions.filters.http.lua.v3.LuaPerRoute.getDescriptor(),
                    io.envoyproxy.envoy.extensions.filters.http.header_to_metadata.v3.Config.getDescriptor(),
                    io.envoyproxy.envoy.extensions.filters.http.header_mutation.v3.HeaderMutationPerRoute
                            .getDescriptor(),
                    ClusterConfig.getDescriptor(),
                    io.envoyproxy.envoy.extensions.filters.http.set_filter_state.v3.Config.getDescriptor(),
                    PreviousPrioritiesConfig.getDescriptor(),
                    io.envoyproxy.envoy.extensions.filters.listener.http_inspector.v3.HttpInspector.getDescriptor(),
                    // The usage reader's choice between json_to_metadata and Lua (JsonUsageReader).
                    io.envoyproxy.envoy.extensions.common.matching.v3.ExtensionWithMatcher.getDescriptor(),
                    io.envoyproxy.envoy.extensions.filters.http.composite.v3.Composite.getDescriptor(),
                    io.envoyproxy.envoy.extensions.filters.http.composite.v3.ExecuteFilterAction.getDescriptor(),
                    io.envoyproxy.envoy.type.matcher.v3.HttpResponseHeaderMatchInput.getDescriptor(),
                    // In bootstraps: the saturation gates' internal listeners need it.
                    io.envoyproxy.envoy.extensions.bootstrap.internal_listener.v3.InternalListener.getDescriptor()))
            .build();

    private static final JsonFormat.Printer PRINTER =
            JsonFormat.printer().usingTypeRegistry(TYPES).sortingMapKeys();

    private EnvoyJson() {}

    public static String print(Message message) {
        try {
            return PRINTER.print(message);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("a packed type is missing from EnvoyJson's registry", e);
        }
    }

    /** Resources of one xDS type as a JSON array, in translation order (one golden file per type). */
    public static String print(List<? extends Message> messages) {
        if (messages.isEmpty()) {
            return "[]\n";
        }
        return messages.stream()
                .map(EnvoyJson::print)
                .map(json -> json.replace("\n", "\n  "))
                .collect(Collectors.joining(",\n  ", "[\n  ", "\n]\n"));
    }
}
