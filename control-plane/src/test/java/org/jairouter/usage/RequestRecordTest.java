package org.jairouter.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Collectors;
import org.jairouter.translate.AccessLogFields;
import org.junit.jupiter.api.Test;

/** A record's text as Envoy writes it reads back field by field, whatever Envoy writes for "no value". */
class RequestRecordTest {
    @Test
    void aStreamedRecordReadsBackWithItsUsage() {
        RequestRecord record = parsed(Map.of(
                        AccessLogFields.KEY_ID, "team-a",
                        AccessLogFields.CLUSTER, "chat~qwen",
                        AccessLogFields.INSTANCE, "10.0.0.1:8000",
                        AccessLogFields.STATUS, "200",
                        AccessLogFields.RESPONSE_FLAGS, "UF,URX",
                        AccessLogFields.CONTENT_TYPE, "text/event-stream; charset=utf-8",
                        AccessLogFields.DURATION_MS, "1234",
                        AccessLogFields.FIRST_BYTE_MS, "56",
                        AccessLogFields.INPUT_TOKENS, "12.0",
                        AccessLogFields.OUTPUT_TOKENS, "1e+06"))
                .orElseThrow();

        assertEquals(
                new RequestRecord(
                        "team-a",
                        "chat~qwen",
                        "",
                        "10.0.0.1:8000",
                        "",
                        200,
                        List.of("UF", "URX"),
                        true,
                        OptionalLong.of(1234),
                        OptionalLong.of(56),
                        OptionalLong.of(12),
                        OptionalLong.of(1_000_000),
                        0),
                record);
    }

    @Test
    void fieldsWithoutValueReadAsNone() {
        RequestRecord record = parsed(Map.of(
                        AccessLogFields.STATUS, "0",
                        AccessLogFields.CONTENT_TYPE, "application/json",
                        AccessLogFields.UPSTREAM_ATTEMPTS, "2",
                        AccessLogFields.OUTPUT_TOKENS, "many"))
                .orElseThrow();

        assertEquals("", record.cluster());
        assertEquals("", record.keyId());
        assertEquals(List.of(), record.responseFlags());
        assertFalse(record.streamed());
        assertEquals(OptionalLong.empty(), record.durationMs());
        assertEquals(OptionalLong.empty(), record.outputTokens());
        assertEquals(2, record.attempts());
        assertEquals(0, record.tokens());
    }

    @Test
    void aTextWithAnotherNumberOfFieldsGivesNone() {
        assertTrue(RequestRecord.parse("chat~qwen\u001f200").isEmpty());
        assertTrue(
                RequestRecord.parse(text(Map.of()) + AccessLogFields.SEPARATOR).isEmpty());
    }

    /** The record of a text with these values, "-" (Envoy's no value) in every other field. */
    static Optional<RequestRecord> parsed(Map<String, String> values) {
        return RequestRecord.parse(text(values));
    }

    private static String text(Map<String, String> values) {
        return AccessLogFields.READ_BY_CONTROL_PLANE.stream()
                .map(name -> values.getOrDefault(name, "-"))
                .collect(Collectors.joining(String.valueOf(AccessLogFields.SEPARATOR)));
    }
}
