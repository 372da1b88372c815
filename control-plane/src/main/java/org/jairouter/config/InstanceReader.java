package org.jairouter.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One item of a service's {@code instances}: a backend serving one model ({@code name}, as in JAiRouter), or
 * every model its server lists ({@code models: auto}).
 */
final class InstanceReader {
    private static final Set<String> KEYS = Set.of(
            "name",
            "models",
            "base-url",
            "path",
            "paths",
            "weight",
            "status",
            "headers",
            "api-key",
            "adapter",
            "rate-limit",
            "circuit-breaker");
    /** JAiRouter keys that are valid but not acted on yet: accepted with a warning. */
    private static final Set<String> IGNORED_KEYS = Set.of("health-check", "instance-id");

    static final int MAX_WEIGHT = 1_000_000;
    /** {@code models: auto}: the only value of {@code models}. */
    private static final String AUTO = "auto";

    private InstanceReader() {}

    /**
     * The instance an item is, or none when it has errors; a placeholder of the incremental loader
     * ({@link InstanceMemo}) is all the instances of its run.
     */
    static List<Instance> read(ServiceType type, YamlSection item, Adapter serviceAdapter) {
        return item.memo().instances(type, serviceAdapter, item, () -> readItem(type, item, serviceAdapter));
    }

    private static Optional<Instance> readItem(ServiceType type, YamlSection item, Adapter serviceAdapter) {
        Map<String, YamlSection> entries = item.entries(KEYS, IGNORED_KEYS);
        InstancePoliciesReader.read(entries);
        // Not a mapping: entries() said so. An empty item, or one of ignored keys only, still lacks name and base-url.
        if (!item.isMapping() && !item.isNull()) {
            return Optional.empty();
        }
        Optional<ModelChoice> models = readModels(item, entries);
        Optional<URI> baseUrl = item.required(entries, "base-url").flatMap(InstanceReader::readBaseUrl);
        Adapter adapter = Optional.ofNullable(entries.get("adapter"))
                .flatMap(AdapterReader::read)
                .orElse(serviceAdapter);
        Optional<String> path = Optional.ofNullable(entries.get("path"))
                .map(YamlSection::path)
                .orElseGet(() -> defaultPath(item, type, adapter));
        Optional<Integer> weight = Optional.ofNullable(entries.get("weight"))
                .map(w -> w.integer(1, MAX_WEIGHT))
                .orElse(Optional.of(1));
        Optional<Boolean> active = Optional.ofNullable(entries.get("status"))
                .map(InstanceReader::readActive)
                .orElse(Optional.of(true));
        Optional<Map<String, Secret>> headers =
                InstanceHeadersReader.read(entries.get("headers"), entries.get("api-key"));
        Optional<Map<ExtraEndpoint, String>> paths = InstancePathsReader.read(type, entries.get("paths"));
        if (models.isEmpty()
                || baseUrl.isEmpty()
                || path.isEmpty()
                || weight.isEmpty()
                || active.isEmpty()
                || headers.isEmpty()
                || paths.isEmpty()) {
            return Optional.empty();
        }
        URI url = baseUrl.get();
        boolean tls = url.getScheme().equalsIgnoreCase("https");
        String prefix = url.getRawPath() == null ? "" : url.getRawPath().replaceAll("/+$", "");
        int port = url.getPort() != -1 ? url.getPort() : tls ? 443 : 80;
        Instance.Builder instance = Instance.builder();
        models.get().name().ifPresentOrElse(instance::model, instance::discovering);
        return Optional.of(instance.host(url.getHost())
                .port(port)
                .upstreamPath(prefix + path.get())
                .weight(weight.get())
                .baseUrl(url.toString())
                .active(active.get())
                .headers(headers.get())
                .tls(tls)
                .adapter(adapter)
                .paths(paths.get())
                .build());
    }

    /** What an instance serves: the model it names, or (no name) every model its server lists. */
    private record ModelChoice(Optional<String> name) {}

    /**
     * {@code name}, or {@code models: auto}. JAiRouter requires {@code name}: an instance with neither is
     * still an error (a forgotten name does not silently route whatever the server has), as is one with both.
     */
    private static Optional<ModelChoice> readModels(YamlSection item, Map<String, YamlSection> entries) {
        YamlSection models = entries.get("models");
        if (models == null) {
            if (!entries.containsKey("name")) {
                item.error("missing key 'name' (the model it serves; or 'models: auto' for every model its server"
                        + " lists at GET /v1/models)");
                return Optional.empty();
            }
            return readName(entries.get("name")).map(name -> new ModelChoice(Optional.of(name)));
        }
        Optional<String> auto = models.text().filter(text -> {
            if (text.equals(AUTO)) {
                return true;
            }
            models.error("expected 'auto' (every model the server lists at GET /v1/models), got '" + text
                    + "'; one model is given by 'name'");
            return false;
        });
        if (auto.isPresent() && entries.containsKey("name")) {
            models.error("expected either 'name' or 'models: auto', not both");
            return Optional.empty();
        }
        return auto.map(text -> new ModelChoice(Optional.empty()));
    }

    /** The adapter's path for the service; an error when the backend has none and no path is given. */
    private static Optional<String> defaultPath(YamlSection item, ServiceType type, Adapter adapter) {
        Optional<String> path = adapter.path(type);
        if (path.isEmpty()) {
            item.error(adapter.key() + " has no " + type.key() + " endpoint that JAiRouter knows; give its 'path'");
        }
        return path;
    }

    /** The model name requests ask for; bounded, as Envoy's model reader is (longer names are refused with 400). */
    private static Optional<String> readName(YamlSection section) {
        return section.text().filter(name -> {
            if (name.length() <= ServiceType.MAX_MODEL_NAME) {
                return true;
            }
            section.error("expected a model name of at most " + ServiceType.MAX_MODEL_NAME + " characters, got "
                    + name.length());
            return false;
        });
    }

    private static Optional<URI> readBaseUrl(YamlSection section) {
        return section.text().flatMap(text -> {
            try {
                URI uri = new URI(text);
                if (!"http".equalsIgnoreCase(uri.getScheme()) && !"https".equalsIgnoreCase(uri.getScheme())) {
                    section.error(
                            "expected an http:// or https:// URL such as http://10.0.0.5:8000, got '" + text + "'");
                } else if (uri.getHost() == null) {
                    section.error("expected a URL with a host, such as http://10.0.0.5:8000, got '" + text + "'");
                } else if (uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
                    section.error("expected scheme, host, port and an optional path prefix only, got '" + text + "'");
                } else if (uri.getPort() == 0 || uri.getPort() > 65535) {
                    section.error("expected a port from 1 to 65535, got " + uri.getPort() + " in '" + text + "'");
                } else {
                    return Optional.of(uri);
                }
            } catch (URISyntaxException e) {
                section.error(
                        "expected a URL such as http://10.0.0.5:8000, got '" + text + "' (" + e.getReason() + ")");
            }
            return Optional.empty();
        });
    }

    private static Optional<Boolean> readActive(YamlSection section) {
        return section.text().flatMap(status -> switch (status.toLowerCase(Locale.ROOT)) {
            case "active" -> Optional.of(true);
            case "inactive" -> Optional.of(false);
            default -> {
                section.error("expected 'active' or 'inactive', got '" + status + "'");
                yield Optional.empty();
            }
        });
    }
}
