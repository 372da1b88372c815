package org.jairouter.status;

import java.util.LinkedHashMap;
import java.util.Map;

/** OpenAI's error body, for the status server's own error replies. */
final class OpenAiError {
    private OpenAiError() {}

    static Map<String, Object> of(String message) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("message", message);
        error.put("type", "invalid_request_error");
        error.put("param", null);
        error.put("code", null);
        return Map.of("error", error);
    }
}
