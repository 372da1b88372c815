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
    private InstanceHeadersReader() {
    }

    /** The instance's own headers (lower-case names), or empty when they have errors. */
    static Optional<Map<String, Secret>> read(YamlSection headers, YamlSection apiKey) {
        Map<String, Secret> result = new TreeMap<>();
        boolean valid = true;
        if (headers != null) {
            for (Map.Entry<String, YamlSection> header : headers.entries().entrySet()) {
                String name = header.getKey().toLowerCase(Locale.ROOT);
                if (!name.matches("[a-z0-9!#$%&'*+.^_`|~-]+") || name.equals("host") || name.equals("content-length")) {
                    header.getValue().error("expected a header name that may be set per instance, got '"
                            + header.getKey() + "'");
                    valid = false;
                    continue;
                }
                Optional<String> value = header.getValue().secretText();
                valid &= value.isPresent();
                value.ifPresent(v -> result.put(name, new Secret(v)));
            }
        }
        if (apiKey != null) {
            if (result.containsKey("authorization")) {
                apiKey.error("give either api-key or an Authorization header, not both");
                return Optional.empty();
            }
            Optional<String> key = apiKey.secretText();
            valid &= key.isPresent();
            key.ifPresent(k -> result.put("authorization", new Secret("Bearer " + k)));
        }
        return valid ? Optional.of(result) : Optional.empty();
    }
}
