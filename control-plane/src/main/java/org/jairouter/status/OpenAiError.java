package org.jairouter.status;

import java.util.LinkedHashMap;
import java.util.Map;

/** OpenAI's error body, for the status server's own error replies. */
final class OpenAiError {
    private OpenAiError() {}

    static Map<String, Object> of(String message) {
        return error(message, "invalid_request_error", null);
    }

    /** A 403's body, as Envoy words a key's refusal on the router's own paths. */
    static Map<String, Object> permissionDenied(String message) {
        return error(message, "permission_error", "permission_denied");
    }

    private static Map<String, Object> error(String message, String type, String code) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("message", message);
        error.put("type", type);
        error.put("param", null);
        error.put("code", code);
        return Map.of("error", error);
    }
}
