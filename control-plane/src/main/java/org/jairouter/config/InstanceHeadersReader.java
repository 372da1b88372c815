package org.jairouter.config;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * An instance's {@code headers} and {@code api-key}: what Envoy adds to every request sent to it.
 * {@code api-key} is shorthand for {@code Authorization: Bearer <key>}, the style every supported
 * backend accepts. Values are kept as secrets and never echoed.
 */
final class InstanceHeadersReader {
    private InstanceHeadersReader() {}

    /** The instance's own headers (lower-case names), or empty when they have errors. */
    static Optional<Map<String, Secret>> read(YamlSection headers, YamlSection apiKey) {
        Map<String, Secret> result = new TreeMap<>();
        boolean valid = true;
        if (headers != null) {
            for (Map.Entry<String, YamlSection> header : headers.entries().entrySet()) {
                String name = header.getKey().toLowerCase(Locale.ROOT);
                if (!name.matches("[a-z0-9!#$%&'*+.^_`|~-]+") || name.equals("host") || name.equals("content-length")) {
                    header.getValue()
                            .error("expected a header name that may be set per instance, got '" + header.getKey()
                                    + "'");
                    valid = false;
                    continue;
                }
                Optional<String> value = header.getValue().secretText().filter(v -> printable(v, header.getValue()));
                valid &= value.isPresent();
                value.ifPresent(v -> result.put(name, new Secret(v)));
            }
        }
        if (apiKey != null) {
            if (result.containsKey("authorization")) {
                apiKey.error("give either api-key or an Authorization header, not both");
                return Optional.empty();
            }
            Optional<String> key = apiKey.secretText().filter(k -> printable(k, apiKey));
            valid &= key.isPresent();
            key.ifPresent(k -> result.put("authorization", new Secret("Bearer " + k)));
        }
        return valid ? Optional.of(result) : Optional.empty();
    }

    /**
     * Envoy refuses a header value with control characters only when it sends a request, so such a
     * value would break every request to the instance; and CR/LF could smuggle another header. The
     * value itself is a secret: the error does not show it.
     */
    private static boolean printable(String value, YamlSection section) {
        if (value.chars().anyMatch(c -> c < 0x20 && c != '\t' || c == 0x7f)) {
            section.error("a header value may not contain control characters (CR, LF, NUL...); the value is not shown");
            return false;
        }
        return true;
    }
}
