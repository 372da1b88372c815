package org.jairouter.status;

import java.util.LinkedHashMap;
import java.util.Map;

/** OpenAI's error body, for the status server's own error replies. */
final class OpenAiError {
    private OpenAiError() {}

    static Map<String, Object> of(String message) {
        return of(message, null, null);
    }

    /** With the parameter at fault and OpenAI's error code (either may be null). */
    static Map<String, Object> of(String message, String param, String code) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("message", message);
        error.put("type", "invalid_request_error");
        error.put("param", param);
        error.put("code", code);
        return Map.of("error", error);
    }
}
