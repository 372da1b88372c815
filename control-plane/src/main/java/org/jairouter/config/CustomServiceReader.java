package org.jairouter.config;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A custom service: a key under {@code model.services} that is no built-in service's, with its own public
 * {@code path} and where its requests name their model ({@code model-from}, default the JSON body's
 * {@code model}). Everything else about it is a service's: instances, policies, fallbacks, keys.
 *
 * <p>Its key names its routes, clusters and metric labels, and is its client-key permission: it is
 * bounded, and may not be an API key of the built-in services' other paths. Its path may not be a path
 * the router already answers (a service's, another API's, a status path, {@code /v1/models...}), nor
 * another custom service's.
 */
final class CustomServiceReader {
    /** The keys a custom service adds to a service's. */
    static final Set<String> KEYS = Set.of("path", "model-from");

    private static final String KEY_PATTERN = "[a-z][a-z0-9-]{0,39}";
    private static final String MODELS_PREFIX = "/v1/models/";

    /** Custom paths seen so far in this config, each with its service's key. */
    private final Map<String, String> customPaths = new HashMap<>();

    /**
     * The custom service a section declares (it has a {@code path}), or empty, with the problems reported,
     * when its key, path or model source is wrong.
     */
    Optional<ServiceType> read(String key, YamlSection section, Map<String, YamlSection> entries) {
        boolean validKey = validKey(key, section);
        Optional<String> path = section.required(entries, "path")
                .flatMap(YamlSection::path)
                .filter(p -> freePath(key, p, entries.get("path")));
        Optional<ModelSource> source = Optional.ofNullable(entries.get("model-from"))
                .map(CustomServiceReader::modelSource)
                .orElse(Optional.of(ModelSource.JSON_MODEL));
        if (!validKey || path.isEmpty() || source.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(ServiceType.custom(key, path.get(), source.get()));
    }

    private static boolean validKey(String key, YamlSection section) {
        if (!key.matches(KEY_PATTERN)) {
            section.error("a custom service's key names its routes, clusters, metrics and key permission: expected"
                    + " a lower-case letter, then up to 39 lower-case letters, digits and -, got '" + key + "'");
            return false;
        }
        Optional<ExtraEndpoint> api = Arrays.stream(ExtraEndpoint.values())
                .filter(endpoint -> endpoint.key().equals(key))
                .findFirst();
        api.ifPresent(endpoint ->
                section.error("'" + key + "' names the " + endpoint.service().key() + " service's API at "
                        + endpoint.publicPath() + "; give the custom service another key"));
        return api.isEmpty();
    }

    private boolean freePath(String key, String path, YamlSection at) {
        Optional<String> holder = builtInHolder(path);
        if (holder.isEmpty() && customPaths.containsKey(path)) {
            holder = Optional.of("the custom service '" + customPaths.get(path) + "'");
        }
        holder.ifPresent(what -> at.error(
                "the router already answers " + path + " (" + what + "); expected a path of the custom service's own"));
        customPaths.putIfAbsent(path, key);
        return holder.isEmpty();
    }

    /** What of the router's own already answers the path, if anything. */
    private static Optional<String> builtInHolder(String path) {
        for (ServiceType type : ServiceType.builtIn()) {
            if (type.publicPath().equals(path)) {
                return Optional.of("the " + type.key() + " service");
            }
            if (type.statusPath().orElseThrow().equals(path)) {
                return Optional.of("the " + type.key() + " service's status");
            }
        }
        for (ExtraEndpoint endpoint : ExtraEndpoint.values()) {
            if (endpoint.publicPath().equals(path)) {
                return Optional.of("the " + endpoint.service().key() + " service's " + endpoint.key() + " API");
            }
        }
        if (path.equals("/v1/status")) {
            return Optional.of("the router's status");
        }
        if (path.equals("/v1/models") || path.startsWith(MODELS_PREFIX)) {
            return Optional.of("OpenAI's model list and lookup");
        }
        return Optional.empty();
    }

    private static Optional<ModelSource> modelSource(YamlSection section) {
        return section.text().flatMap(text -> {
            Optional<ModelSource> source = ModelSource.parse(text);
            if (source.isEmpty()) {
                section.error("expected where requests name the model: json, json:<field>, multipart,"
                        + " multipart:<field>, query:<parameter> or header:<name> (names of up to 64 letters,"
                        + " digits, _ and -), got '" + text + "'");
            }
            return source;
        });
    }

    /** The keys a section may have: a service's and a custom service's, for the unknown-key hint. */
    static Set<String> keys(Set<String> serviceKeys) {
        return java.util.stream.Stream.concat(serviceKeys.stream(), KEYS.stream())
                .collect(Collectors.toUnmodifiableSet());
    }
}
