package org.jairouter.status;

import java.util.LinkedHashMap;
import java.util.Map;

/** OpenAI's error body, for the status server's own error replies. */
final class OpenAiError {
    private OpenAiError() {}

    static Map<String, Object> of(String message) {
        return error(message, "invalid_request_error", null, null);
    }

    /** A model no one may reach by this id (unknown, or not the caller's), as OpenAI answers it. */
    static Map<String, Object> modelNotFound(String message) {
        return error(message, "invalid_request_error", "model", "model_not_found");
    }

    /** A 403's body, as Envoy words a key's refusal on the router's own paths. */
    static Map<String, Object> permissionDenied(String message) {
        return error(message, "permission_error", null, "permission_denied");
    }

    private static Map<String, Object> error(String message, String type, String param, String code) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("message", message);
        error.put("type", type);
        error.put("param", param);
        error.put("code", code);
        return Map.of("error", error);
    }
}
