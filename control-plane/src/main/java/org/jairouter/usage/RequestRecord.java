package org.jairouter.usage;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.jairouter.translate.AccessLogFields;

/**
 * What the control plane needs of one request record Envoy sent. Envoy writes every field as text, "-" or
 * nothing where it has no value (no instance chosen, no usage in the response).
 */
record RequestRecord(
        String keyId,
        String cluster,
        String instance,
        int status,
        List<String> responseFlags,
        boolean streamed,
        OptionalLong durationMs,
        OptionalLong firstByteMs,
        OptionalLong inputTokens,
        OptionalLong outputTokens,
        long attempts) {

    static RequestRecord of(Map<String, String> fields) {
        return new RequestRecord(
                text(fields, AccessLogFields.KEY_ID),
                text(fields, AccessLogFields.CLUSTER),
                text(fields, AccessLogFields.INSTANCE),
                (int) number(fields, AccessLogFields.STATUS).orElse(0),
                flags(text(fields, AccessLogFields.RESPONSE_FLAGS)),
                text(fields, AccessLogFields.CONTENT_TYPE).startsWith("text/event-stream"),
                number(fields, AccessLogFields.DURATION_MS),
                number(fields, AccessLogFields.FIRST_BYTE_MS),
                number(fields, AccessLogFields.INPUT_TOKENS),
                number(fields, AccessLogFields.OUTPUT_TOKENS),
                number(fields, AccessLogFields.UPSTREAM_ATTEMPTS).orElse(0));
    }

    /** Prompt and completion tokens together, as the instance reported them (0 when it did not). */
    long tokens() {
        return inputTokens.orElse(0) + outputTokens.orElse(0);
    }

    /** 2xx, 3xx, 4xx or 5xx; a request that never got a status (the client went away) counts as 0xx. */
    String codeClass() {
        return (status / 100) + "xx";
    }

    private static String text(Map<String, String> fields, String name) {
        String value = fields.getOrDefault(name, "");
        return value.equals("-") ? "" : value;
    }

    /** Whole numbers; metadata numbers are doubles and may print as "12.0". */
    private static OptionalLong number(Map<String, String> fields, String name) {
        String value = text(fields, name);
        try {
            return value.isEmpty() ? OptionalLong.empty() : OptionalLong.of((long) Double.parseDouble(value));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /** Envoy joins several short flags with commas ("UF,URX"). */
    private static List<String> flags(String value) {
        return value.isEmpty()
                ? List.of()
                : Arrays.stream(value.split(",")).filter(f -> !f.isBlank()).toList();
    }
}
