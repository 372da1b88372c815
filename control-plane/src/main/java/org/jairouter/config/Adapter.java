package org.jairouter.config;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What JAiRouter knows about a kind of backend: which services it serves on which OpenAI-compatible
 * path (so an instance may leave {@code path} out), which other APIs it serves for the same models
 * ({@link ExtraEndpoint}; each at its public path under the base-url), and where it answers a health
 * check without an API key. Every backend takes its key as {@code Authorization: Bearer}. Sources are in
 * the adapter table of docs/configuration.md and the endpoint table of docs/api.md: an API a server's
 * docs do not name is left out, so no request is sent where it would meet the server's 404.
 */
public enum Adapter {
    /** Any OpenAI-compatible server: OpenAI's APIs; rerank as the common /v1/rerank (TEI, Infinity, Jina-style). */
    NORMAL(
            "normal",
            "/v1/models",
            Set.copyOf(ServiceType.builtIn()),
            EnumSet.of(ExtraEndpoint.COMPLETIONS, ExtraEndpoint.RESPONSES, ExtraEndpoint.TRANSLATIONS),
            "openai"),
    GPUSTACK(
            "gpustack",
            "/healthz",
            Set.copyOf(ServiceType.builtIn()),
            EnumSet.of(ExtraEndpoint.COMPLETIONS, ExtraEndpoint.MESSAGES)),
    OLLAMA(
            "ollama",
            "/",
            Set.of(ServiceType.CHAT, ServiceType.EMBEDDING, ServiceType.STT, ServiceType.IMG_GEN, ServiceType.IMG_EDIT),
            EnumSet.of(ExtraEndpoint.COMPLETIONS, ExtraEndpoint.RESPONSES, ExtraEndpoint.MESSAGES)),
    VLLM(
            "vllm",
            "/health",
            Set.of(ServiceType.CHAT, ServiceType.EMBEDDING, ServiceType.RERANK, ServiceType.STT),
            EnumSet.allOf(ExtraEndpoint.class)),
    SGLANG(
            "sglang",
            "/health",
            Set.of(ServiceType.CHAT, ServiceType.EMBEDDING, ServiceType.RERANK),
            EnumSet.of(
                    ExtraEndpoint.COMPLETIONS,
                    ExtraEndpoint.MESSAGES,
                    ExtraEndpoint.SCORE,
                    ExtraEndpoint.TOKENIZE,
                    ExtraEndpoint.DETOKENIZE)),
    XINFERENCE("xinference", "/status", Set.copyOf(ServiceType.builtIn()), EnumSet.of(ExtraEndpoint.COMPLETIONS)),
    LOCALAI(
            "localai",
            "/readyz",
            ServiceType.builtIn().stream()
                    .filter(type -> type != ServiceType.IMG_EDIT)
                    .collect(Collectors.toSet()),
            EnumSet.of(ExtraEndpoint.COMPLETIONS));

    private final String key;
    private final String healthPath;
    private final Set<ServiceType> services;
    private final Set<ExtraEndpoint> extraEndpoints;
    private final List<String> aliases;

    Adapter(
            String key,
            String healthPath,
            Set<ServiceType> services,
            Set<ExtraEndpoint> extraEndpoints,
            String... aliases) {
        this.key = key;
        this.healthPath = healthPath;
        this.services = services;
        this.extraEndpoints = extraEndpoints;
        this.aliases = List.of(aliases);
    }

    public String key() {
        return key;
    }

    /** The path a health check GETs, relative to the base-url. */
    public String healthPath() {
        return healthPath;
    }

    /**
     * The backend's path for a service (the OpenAI one), if the backend serves it. A custom service is
     * served where the config declares it, at its own public path unless an instance gives its {@code path}.
     */
    public Optional<String> path(ServiceType service) {
        return service.isCustom() || services.contains(service) ? Optional.of(service.publicPath()) : Optional.empty();
    }

    /** True when the backend serves this API for the models of the endpoint's service. */
    public boolean serves(ExtraEndpoint endpoint) {
        return services.contains(endpoint.service()) && extraEndpoints.contains(endpoint);
    }

    public static Optional<Adapter> fromKey(String key) {
        String name = key.toLowerCase(Locale.ROOT);
        return Arrays.stream(values())
                .filter(a -> a.key.equals(name) || a.aliases.contains(name))
                .findFirst();
    }

    public static List<String> keys() {
        return Arrays.stream(values()).map(Adapter::key).toList();
    }
}
