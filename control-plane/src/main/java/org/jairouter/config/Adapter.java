package org.jairouter.config;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * What JAiRouter knows about a kind of backend: which services it serves on which OpenAI-compatible
 * path (so an instance may leave {@code path} out), and where it answers a health check without an
 * API key. Every backend takes its key as {@code Authorization: Bearer}. Sources are in the adapter
 * table of docs/configuration.md.
 */
public enum Adapter {
    /** Any OpenAI-compatible server; rerank as the common /v1/rerank (TEI, Infinity, Jina-style servers). */
    NORMAL("normal", "/v1/models", EnumSet.allOf(ServiceType.class), "openai"),
    GPUSTACK("gpustack", "/healthz", EnumSet.allOf(ServiceType.class)),
    OLLAMA(
            "ollama",
            "/",
            EnumSet.of(
                    ServiceType.CHAT,
                    ServiceType.EMBEDDING,
                    ServiceType.STT,
                    ServiceType.IMG_GEN,
                    ServiceType.IMG_EDIT)),
    VLLM("vllm", "/health", EnumSet.of(ServiceType.CHAT, ServiceType.EMBEDDING, ServiceType.RERANK, ServiceType.STT)),
    SGLANG("sglang", "/health", EnumSet.of(ServiceType.CHAT, ServiceType.EMBEDDING)),
    XINFERENCE("xinference", "/status", EnumSet.allOf(ServiceType.class)),
    LOCALAI("localai", "/readyz", EnumSet.complementOf(EnumSet.of(ServiceType.IMG_EDIT)));

    private final String key;
    private final String healthPath;
    private final Set<ServiceType> services;
    private final List<String> aliases;

    Adapter(String key, String healthPath, Set<ServiceType> services, String... aliases) {
        this.key = key;
        this.healthPath = healthPath;
        this.services = services;
        this.aliases = List.of(aliases);
    }

    public String key() {
        return key;
    }

    /** The path a health check GETs, relative to the base-url. */
    public String healthPath() {
        return healthPath;
    }

    /** The backend's path for a service (the OpenAI one), if the backend serves it. */
    public Optional<String> path(ServiceType service) {
        return services.contains(service) ? Optional.of(service.publicPath()) : Optional.empty();
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
