package org.jairouter.config;

import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * An instance's {@code paths}: per other API of its service ({@link ExtraEndpoint#key()}), the path its server
 * serves it at, under the base-url as {@code path} is. The service's own path stays {@code path}.
 */
final class InstancePathsReader {
    private InstancePathsReader() {}

    /** The instance's own paths, or empty when they have errors. */
    static Optional<Map<ExtraEndpoint, String>> read(ServiceType type, YamlSection paths) {
        Map<ExtraEndpoint, String> result = new EnumMap<>(ExtraEndpoint.class);
        if (paths == null) {
            return Optional.of(result);
        }
        if (!paths.isMapping()) {
            paths.error("expected a mapping of API to path, such as {completions: /v1/completions}");
            return Optional.empty();
        }
        Map<String, ExtraEndpoint> known =
                ExtraEndpoint.of(type).stream().collect(Collectors.toMap(ExtraEndpoint::key, endpoint -> endpoint));
        boolean valid = true;
        for (Map.Entry<String, YamlSection> entry : paths.entries().entrySet()) {
            ExtraEndpoint endpoint = known.get(entry.getKey());
            if (endpoint == null) {
                entry.getValue().error(unknown(type, entry.getKey()));
                valid = false;
                continue;
            }
            Optional<String> path = entry.getValue().path();
            valid &= path.isPresent();
            path.ifPresent(p -> result.put(endpoint, p));
        }
        return valid ? Optional.of(result) : Optional.empty();
    }

    private static String unknown(ServiceType type, String key) {
        if (key.equals(type.key())) {
            return "the service's own path is the instance's 'path', not one of its 'paths'";
        }
        String expected =
                ExtraEndpoint.of(type).stream().map(ExtraEndpoint::key).collect(Collectors.joining(", "));
        return expected.isEmpty()
                ? "the " + type.key() + " service has no other API whose path an instance could set"
                : "expected one of the " + type.key() + " service's other APIs: " + expected + "; got '" + key + "'";
    }
}
