package org.jairouter.translate;

import com.google.protobuf.Any;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.route.v3.FilterConfig;
import io.envoyproxy.envoy.extensions.filters.http.json_to_metadata.v3.JsonToMetadata;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.util.List;
import java.util.Map;
import org.jairouter.config.Monitoring;
import org.jairouter.config.ServiceType;

/**
 * The HTTP filters that read token usage from responses into dynamic metadata ({@link Names#USAGE_NAMESPACE}),
 * where the access logs pick it up. None holds a stream back or fails a large answer:
 * <ul>
 * <li>SSE streams (chat, completions, Responses, Messages): Envoy's {@code sse_to_metadata} (1.38+, TypedStruct)
 *     parses each event as it passes and keeps the last count seen at each of the shapes' paths: the final
 *     {@code usage} chunk of OpenAI-style streams, Responses' {@code response.completed} event, Anthropic's
 *     {@code message_start} (input) and {@code message_delta} (output so far) events.</li>
 * <li>JSON answers of the chat APIs (chat, completions, Responses, Messages: {@code prompt/completion_tokens}
 *     or {@code input/output_tokens} of {@code usage}): {@link JsonUsageReader}, {@code json_to_metadata} for
 *     small answers of a known length (native and cheapest), the Lua tail reader below for the others, so
 *     that no answer is held whole beyond a bound (a slow reader of a large answer pins no more of Envoy's
 *     memory than one of speech, and an answer over the buffer limit passes instead of failing).</li>
 * <li>JSON answers of embeddings (many MiB for a batch) and rerank (only {@code total_tokens}, which
 *     json_to_metadata cannot take as a fallback: it writes all rules at once, so
 *     {@code preserve_existing_metadata_value} does not see an earlier rule's value): the Lua tail reader,
 *     which lets every chunk pass at once and keeps only the body's last few KiB, where servers put
 *     {@code usage}.</li>
 * </ul>
 * {@code ai_protocol_manager}'s token usage (1.40, alpha) covers chat APIs only and wrote no metadata in our
 * runs. All three are off by default and switched on by the routes of the services that report usage.
 */
final class UsageFilters {
    static final String JSON_USAGE = "jairouter.usage.json";
    static final String JSON_TAIL_USAGE = "jairouter.usage.json_tail";
    static final String SSE_USAGE = "jairouter.usage.sse";
    /** The usage chunk of a long stream carries only counts; larger events are not usage. */
    private static final int MAX_EVENT_BYTES = 64 * 1024;

    private UsageFilters() {}

    /**
     * None when Envoy writes no request records: the usage would go nowhere.
     *
     * @param bufferLimitBytes the stream's buffer limit, which an answer held whole must stay under
     */
    static List<HttpFilter> httpFilters(Monitoring monitoring, long bufferLimitBytes) {
        if (!monitoring.recordsRequests()) {
            return List.of();
        }
        return List.of(
                HttpFilter.newBuilder()
                        .setName(JSON_USAGE)
                        .setDisabled(true)
                        .setTypedConfig(JsonUsageReader.wholeOrTail(bufferLimitBytes))
                        .build(),
                HttpFilter.newBuilder()
                        .setName(JSON_TAIL_USAGE)
                        .setDisabled(true)
                        .setTypedConfig(Any.pack(JsonUsageReader.tailReader()))
                        .build(),
                HttpFilter.newBuilder()
                        .setName(SSE_USAGE)
                        .setDisabled(true)
                        .setTypedConfig(sseReader())
                        .build());
    }

    /** The per-route configs that switch this service's readers on (none for services without usage). */
    static Map<String, Any> perRoute(ServiceType type, Monitoring monitoring) {
        if (!monitoring.recordsRequests()) {
            return Map.of();
        }
        Any enabled = Any.pack(
                FilterConfig.newBuilder().setConfig(Any.getDefaultInstance()).build());
        // A custom service's answers are read as the chat APIs' are: OpenAI-shaped usage, JSON or SSE.
        if (type == ServiceType.CHAT || type.isCustom()) {
            return Map.of(JSON_USAGE, enabled, SSE_USAGE, enabled);
        }
        return type == ServiceType.EMBEDDING || type == ServiceType.RERANK
                ? Map.of(JSON_TAIL_USAGE, enabled)
                : Map.of();
    }

    private static Any sseReader() {
        Struct parser = Struct.newBuilder()
                .putFields(
                        "rules",
                        TypedStructs.list(List.of(
                                rule(Names.INPUT_TOKENS, "usage", "prompt_tokens"),
                                rule(Names.OUTPUT_TOKENS, "usage", "completion_tokens"),
                                // Responses: the counts come once, in the response.completed event.
                                rule(Names.INPUT_TOKENS, "response", "usage", "input_tokens"),
                                rule(Names.OUTPUT_TOKENS, "response", "usage", "output_tokens"),
                                // Messages: input in message_start; output (a running total) in message_delta,
                                // which may repeat the input too.
                                rule(Names.INPUT_TOKENS, "message", "usage", "input_tokens"),
                                rule(Names.INPUT_TOKENS, "usage", "input_tokens"),
                                rule(Names.OUTPUT_TOKENS, "usage", "output_tokens"))))
                .build();
        Struct contentParser = Struct.newBuilder()
                .putFields("name", Protos.string("envoy.content_parsers.json"))
                .putFields(
                        "typed_config",
                        TypedStructs.nested("envoy.extensions.content_parsers.json.v3.JsonContentParser", parser))
                .build();
        Struct rules = Struct.newBuilder()
                .putFields("content_parser", TypedStructs.value(contentParser))
                .putFields(
                        "max_event_size",
                        Value.newBuilder().setNumberValue(MAX_EVENT_BYTES).build())
                .build();
        return TypedStructs.of(
                "envoy.extensions.filters.http.sse_to_metadata.v3.SseToMetadata",
                Struct.newBuilder()
                        .putFields("response_rules", TypedStructs.value(rules))
                        .build());
    }

    /** The count at this path of an SSE event's JSON; the last event that has it wins (stop_processing_after_matches 0). */
    private static Value rule(String key, String... path) {
        return TypedStructs.value(Struct.newBuilder()
                .putFields("rule", TypedStructs.value(TypedStructs.struct(jsonRule(key, path))))
                .build());
    }

    /** The value at a path of a JSON body -> a number in our namespace. */
    static JsonToMetadata.Rule jsonRule(String key, String... path) {
        JsonToMetadata.Rule.Builder rule = JsonToMetadata.Rule.newBuilder();
        for (String step : path) {
            rule.addSelectors(JsonToMetadata.Selector.newBuilder().setKey(step));
        }
        return rule.setOnPresent(JsonToMetadata.KeyValuePair.newBuilder()
                        .setMetadataNamespace(Names.USAGE_NAMESPACE)
                        .setKey(key)
                        .setType(JsonToMetadata.ValueType.NUMBER))
                .build();
    }
}
