package org.jairouter.usage;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.jairouter.translate.AccessLogFields;

/**
 * What the control plane needs of one request record Envoy sent. Envoy writes every field as text, "-" or
 * nothing where it has no value (no instance chosen, no usage in the response).
 */
record RequestRecord(
        String keyId,
        String cluster,
        String route,
        String instance,
        String gatedInstance,
        int status,
        List<String> responseFlags,
        boolean streamed,
        OptionalLong durationMs,
        OptionalLong firstByteMs,
        OptionalLong inputTokens,
        OptionalLong outputTokens,
        long attempts) {

    private static final int KEY_ID = AccessLogFields.position(AccessLogFields.KEY_ID);
    private static final int CLUSTER = AccessLogFields.position(AccessLogFields.CLUSTER);
    private static final int ROUTE = AccessLogFields.position(AccessLogFields.ROUTE);
    private static final int INSTANCE = AccessLogFields.position(AccessLogFields.INSTANCE);
    private static final int GATED_INSTANCE = AccessLogFields.position(AccessLogFields.GATED_INSTANCE);
    private static final int STATUS = AccessLogFields.position(AccessLogFields.STATUS);
    private static final int RESPONSE_FLAGS = AccessLogFields.position(AccessLogFields.RESPONSE_FLAGS);
    private static final int CONTENT_TYPE = AccessLogFields.position(AccessLogFields.CONTENT_TYPE);
    private static final int DURATION_MS = AccessLogFields.position(AccessLogFields.DURATION_MS);
    private static final int FIRST_BYTE_MS = AccessLogFields.position(AccessLogFields.FIRST_BYTE_MS);
    private static final int INPUT_TOKENS = AccessLogFields.position(AccessLogFields.INPUT_TOKENS);
    private static final int OUTPUT_TOKENS = AccessLogFields.position(AccessLogFields.OUTPUT_TOKENS);
    private static final int ATTEMPTS = AccessLogFields.position(AccessLogFields.UPSTREAM_ATTEMPTS);
    private static final int FIELDS = AccessLogFields.READ_BY_CONTROL_PLANE.size();
    /** Whole numbers up to this many digits are read in place; longer ones (never seen) through a double. */
    private static final int MAX_PLAIN_DIGITS = 18;

    /**
     * The record of a text Envoy wrote with {@link AccessLogFields}' record format, read in place (every
     * record passes here, so no map of its fields is built); none when the text has another number of fields.
     */
    static Optional<RequestRecord> parse(String text) {
        Fields fields = Fields.of(text);
        if (fields == null) {
            return Optional.empty();
        }
        return Optional.of(new RequestRecord(
                fields.text(KEY_ID),
                fields.text(CLUSTER),
                fields.text(ROUTE),
                fields.text(INSTANCE),
                fields.text(GATED_INSTANCE),
                (int) fields.number(STATUS).orElse(0),
                flags(fields.text(RESPONSE_FLAGS)),
                fields.startsWith(CONTENT_TYPE, "text/event-stream"),
                fields.number(DURATION_MS),
                fields.number(FIRST_BYTE_MS),
                fields.number(INPUT_TOKENS),
                fields.number(OUTPUT_TOKENS),
                fields.number(ATTEMPTS).orElse(0)));
    }

    /** Prompt and completion tokens together, as the instance reported them (0 when it did not). */
    long tokens() {
        return inputTokens.orElse(0) + outputTokens.orElse(0);
    }

    /** Envoy joins several short flags with commas ("UF,URX"). */
    private static List<String> flags(String value) {
        return value.isEmpty()
                ? List.of()
                : Arrays.stream(value.split(",")).filter(f -> !f.isBlank()).toList();
    }

    /** One record's text and where each field begins: field i is {@code text[starts[i], starts[i + 1] - 1)}. */
    private record Fields(String text, int[] starts) {
        static Fields of(String text) {
            int[] starts = new int[FIELDS + 1];
            int field = 0;
            for (int at = text.indexOf(AccessLogFields.SEPARATOR);
                    at >= 0;
                    at = text.indexOf(AccessLogFields.SEPARATOR, at + 1)) {
                if (++field == FIELDS) {
                    return null;
                }
                starts[field] = at + 1;
            }
            if (field != FIELDS - 1) {
                return null;
            }
            starts[FIELDS] = text.length() + 1;
            return new Fields(text, starts);
        }

        private int from(int field) {
            return starts[field];
        }

        private int to(int field) {
            return starts[field + 1] - 1;
        }

        /** Envoy's "-" (no value) reads as nothing. */
        private boolean absent(int field) {
            int length = to(field) - from(field);
            return length == 0 || length == 1 && text.charAt(from(field)) == '-';
        }

        String text(int field) {
            return absent(field) ? "" : text.substring(from(field), to(field));
        }

        boolean startsWith(int field, String prefix) {
            return to(field) - from(field) >= prefix.length() && text.startsWith(prefix, from(field));
        }

        /** Whole numbers; metadata numbers are doubles and may print as "12.0" (the fraction is dropped). */
        OptionalLong number(int field) {
            if (absent(field)) {
                return OptionalLong.empty();
            }
            int at = from(field);
            int end = to(field);
            long value = 0;
            while (at < end && digit(text.charAt(at)) && at - from(field) < MAX_PLAIN_DIGITS) {
                value = value * 10 + (text.charAt(at++) - '0');
            }
            if (at > from(field) && (at == end || text.charAt(at) == '.' && digitsOnly(at + 1, end))) {
                return OptionalLong.of(value);
            }
            try {
                return OptionalLong.of((long) Double.parseDouble(text.substring(from(field), end)));
            } catch (NumberFormatException e) {
                return OptionalLong.empty();
            }
        }

        private static boolean digit(char c) {
            return c >= '0' && c <= '9';
        }

        private boolean digitsOnly(int from, int to) {
            for (int at = from; at < to; at++) {
                if (!digit(text.charAt(at))) {
                    return false;
                }
            }
            return true;
        }
    }
}
