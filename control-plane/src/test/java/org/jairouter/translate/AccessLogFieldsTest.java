package org.jairouter.translate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The record's text has one value per field read by the control plane, each where position() says. */
class AccessLogFieldsTest {
    @Test
    void eachFieldStandsAtItsPosition() {
        String text = AccessLogFields.recordFormat(AccessLogFields.OPERATORS)
                .replace("%UPSTREAM_CLUSTER%", "chat~qwen")
                .replace("%RESPONSE_CODE%", "200")
                .replace("%RESP(CONTENT-TYPE)%", "text/event-stream; charset=utf-8")
                .replaceAll("%[^%]+%", "-");

        String[] values = text.split(Pattern.quote(String.valueOf(AccessLogFields.SEPARATOR)), -1);

        assertEquals(AccessLogFields.READ_BY_CONTROL_PLANE.size(), values.length);
        assertEquals("chat~qwen", values[AccessLogFields.position(AccessLogFields.CLUSTER)]);
        assertEquals("200", values[AccessLogFields.position(AccessLogFields.STATUS)]);
        assertEquals(
                "text/event-stream; charset=utf-8", values[AccessLogFields.position(AccessLogFields.CONTENT_TYPE)]);
        assertEquals("-", values[AccessLogFields.position(AccessLogFields.OUTPUT_TOKENS)]);
    }

    @Test
    void aFieldTheFileLogAloneHasHasNoPosition() {
        assertThrows(IllegalArgumentException.class, () -> AccessLogFields.position(AccessLogFields.REQUEST_ID));
    }
}
