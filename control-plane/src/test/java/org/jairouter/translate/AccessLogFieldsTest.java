package org.jairouter.translate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The record's text as Envoy writes it (one value per operator of the format) reads back field by field. */
class AccessLogFieldsTest {
    @Test
    void aRecordTextReadsBackByFieldName() {
        String text = AccessLogFields.recordFormat(AccessLogFields.OPERATORS)
                .replace("%UPSTREAM_CLUSTER%", "chat~qwen")
                .replace("%RESPONSE_CODE%", "200")
                .replace("%RESP(CONTENT-TYPE)%", "text/event-stream; charset=utf-8")
                .replaceAll("%[^%]+%", "-");

        Map<String, String> fields = AccessLogFields.parseRecord(text);

        assertEquals(AccessLogFields.READ_BY_CONTROL_PLANE.size(), fields.size());
        assertEquals("chat~qwen", fields.get(AccessLogFields.CLUSTER));
        assertEquals("200", fields.get(AccessLogFields.STATUS));
        assertEquals("text/event-stream; charset=utf-8", fields.get(AccessLogFields.CONTENT_TYPE));
        assertEquals("-", fields.get(AccessLogFields.OUTPUT_TOKENS));
    }

    @Test
    void aTextWithAnotherNumberOfFieldsGivesNone() {
        assertEquals(Map.of(), AccessLogFields.parseRecord("chat~qwen\u001f200"));
    }
}
