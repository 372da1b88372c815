package org.jairouter.translate;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.util.List;
import java.util.Map;

/**
 * The router's own headers ({@link Names#INTERNAL_HEADER_PREFIX}): the key id Envoy authenticated, the
 * instance's path and model, the requested and served model, the gates' and quota's marks. Envoy sets
 * them and they steer it; a client's copy must never count. The first filter of the listener removes
 * every header with the prefix, before anything reads one, by prefix rather than by a list of names, so
 * a header added later is covered without being listed (header_mutation's {@code remove_on_match}, Envoy
 * 1.40; newer than the 1.34 protos we build with, so a TypedStruct).
 */
final class InternalHeaders {
    private static final String FILTER = "jairouter.client_internal_headers_removed";

    private InternalHeaders() {}

    static HttpFilter clientCopiesRemoved() {
        Value removeByPrefix = Protos.object(Map.of(
                "remove_on_match",
                Protos.object(Map.of(
                        "key_matcher", Protos.object(Map.of("prefix", Protos.string(Names.INTERNAL_HEADER_PREFIX)))))));
        Struct config = Struct.newBuilder()
                .putFields(
                        "mutations", Protos.object(Map.of("request_mutations", Protos.list(List.of(removeByPrefix)))))
                .build();
        return HttpFilter.newBuilder()
                .setName(FILTER)
                .setTypedConfig(
                        TypedStructs.of("envoy.extensions.filters.http.header_mutation.v3.HeaderMutation", config))
                .build();
    }
}
