package org.jairouter.config;

import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A service JAiRouter routes: one of the seven built in, each with its public OpenAI path and how its
 * requests name a model, or a custom one that a config declares under {@code model.services} with its own
 * public path and model source ({@link #custom}). Built-in services come first, in their order here, then
 * custom ones by key: the order of the route table, the status and the metrics.
 */
public final class ServiceType implements Comparable<ServiceType> {
    public static final ServiceType CHAT =
            builtIn(0, "chat", "/v1/chat/completions", "/v1/chat/status", ModelSource.JSON_MODEL, 90, true);
    public static final ServiceType EMBEDDING =
            builtIn(1, "embedding", "/v1/embeddings", "/v1/embeddings/status", ModelSource.JSON_MODEL, 30, true);
    public static final ServiceType RERANK =
            builtIn(2, "rerank", "/v1/rerank", "/v1/rerank/status", ModelSource.JSON_MODEL, 30, true);
    public static final ServiceType TTS =
            builtIn(3, "tts", "/v1/audio/speech", "/v1/audio/speech/status", ModelSource.JSON_MODEL, 60, true);
    public static final ServiceType STT = builtIn(
            4,
            "stt",
            "/v1/audio/transcriptions",
            "/v1/audio/transcriptions/status",
            ModelSource.MULTIPART_MODEL,
            90,
            true);
    /** Not retried once sent ({@link #retriesAfterSent}): the longest single try. */
    public static final ServiceType IMG_GEN = builtIn(
            5,
            "img-gen",
            "/v1/images/generations",
            "/v1/images/generations/status",
            ModelSource.JSON_MODEL,
            240,
            false,
            "imgGen");

    public static final ServiceType IMG_EDIT = builtIn(
            6,
            "img-edit",
            "/v1/images/edits",
            "/v1/images/edits/status",
            ModelSource.MULTIPART_MODEL,
            240,
            false,
            "imgEdit");

    /** The longest model name a request may ask for (and the config may name); real names are far shorter. */
    public static final int MAX_MODEL_NAME = 256;

    /** A custom service's default response timeout: a chat's, the longest of the retried services. */
    private static final int CUSTOM_RESPONSE_TIMEOUT_SECONDS = 90;

    private static final List<ServiceType> BUILT_IN = List.of(CHAT, EMBEDDING, RERANK, TTS, STT, IMG_GEN, IMG_EDIT);
    private static final Comparator<ServiceType> ORDER =
            Comparator.comparingInt((ServiceType type) -> type.order).thenComparing(ServiceType::key);

    private final int order;
    private final String key;
    private final String publicPath;
    private final Optional<String> statusPath;
    private final ModelSource modelSource;
    private final Duration defaultResponseTimeout;
    private final boolean retriesAfterSent;
    private final List<String> aliases;

    private ServiceType(
            int order,
            String key,
            String publicPath,
            Optional<String> statusPath,
            ModelSource modelSource,
            int responseTimeoutSeconds,
            boolean retriesAfterSent,
            List<String> aliases) {
        this.order = order;
        this.key = key;
        this.publicPath = publicPath;
        this.statusPath = statusPath;
        this.modelSource = modelSource;
        this.defaultResponseTimeout = Duration.ofSeconds(responseTimeoutSeconds);
        this.retriesAfterSent = retriesAfterSent;
        this.aliases = aliases;
    }

    private static ServiceType builtIn(
            int order,
            String key,
            String publicPath,
            String statusPath,
            ModelSource source,
            int responseTimeoutSeconds,
            boolean retriesAfterSent,
            String... aliases) {
        return new ServiceType(
                order,
                key,
                publicPath,
                Optional.of(statusPath),
                source,
                responseTimeoutSeconds,
                retriesAfterSent,
                List.of(aliases));
    }

    /**
     * A service the config declares ({@code model.services.<key>} with a {@code path}): routed as the built-in
     * ones are, after them. Its requests are retried like text's (model servers abort a request whose
     * connection closed), each try waiting as long as a chat's for its answer unless {@code response-timeout}
     * says otherwise.
     */
    static ServiceType custom(String key, String publicPath, ModelSource source) {
        return new ServiceType(
                BUILT_IN.size(),
                key,
                publicPath,
                Optional.empty(),
                source,
                CUSTOM_RESPONSE_TIMEOUT_SECONDS,
                true,
                List.of());
    }

    /** The key under {@code model.services} in the YAML; a custom service's is also its client-key permission. */
    public String key() {
        return key;
    }

    public String publicPath() {
        return publicPath;
    }

    /** Where the status of a built-in service is served ({@code /v1/chat/status}); custom ones have none. */
    public Optional<String> statusPath() {
        return statusPath;
    }

    public ModelSource modelSource() {
        return modelSource;
    }

    public boolean isCustom() {
        return order == BUILT_IN.size();
    }

    /**
     * How long an instance may take to start its answer (its response headers) unless the config sets
     * {@code response-timeout}. A stream starts at once and is then not bound by it; a non-streamed
     * answer must be complete within it. Chosen so that the default retries of a silent instance (three
     * tries) end within the 300 s after which Envoy ends a silent request; image generation, which is not
     * retried once sent ({@link #retriesAfterSent}), has the longest single try.
     */
    public Duration defaultResponseTimeout() {
        return defaultResponseTimeout;
    }

    /**
     * Whether a request that reached an instance may be tried again on another when the instance fails
     * without an answer: it closed or reset the connection, answered garbage, or did not answer in time.
     * Model servers abort the work of a request whose connection closed (vLLM, SGLang, Ollama), so for
     * text and audio at most aborted work is lost. An image may be generated (and billed) to the end
     * anyway: image requests are tried again only when no instance has read them.
     */
    public boolean retriesAfterSent() {
        return retriesAfterSent;
    }

    /**
     * Whether its answers stream as server-sent events on request ({@code "stream": true}), token by token:
     * chat, on its own path and its extra ones (completions, responses, messages).
     */
    public boolean streams() {
        return this == CHAT;
    }

    /**
     * The OpenAI models path beside an instance's path of this service ({@code /v1-openai/chat/completions}
     * gives {@code /v1-openai/models}); empty when the path does not end as the service's public path does
     * after its {@code /v1}, or the public path is not under {@code /v1} (a custom service's may not be).
     */
    public Optional<String> modelsPathBeside(String upstreamPath) {
        if (!publicPath.startsWith("/v1/")) {
            return Optional.empty();
        }
        String suffix = publicPath.substring("/v1".length());
        return upstreamPath.endsWith(suffix)
                ? Optional.of(upstreamPath.substring(0, upstreamPath.length() - suffix.length()) + "/models")
                : Optional.empty();
    }

    /** The built-in service of this key or alias. */
    public static Optional<ServiceType> fromKey(String key) {
        return BUILT_IN.stream()
                .filter(t -> t.key.equals(key) || t.aliases.contains(key))
                .findFirst();
    }

    /** The seven built-in services, in order. */
    public static List<ServiceType> builtIn() {
        return BUILT_IN;
    }

    /** The keys of the built-in services. */
    public static List<String> keys() {
        return BUILT_IN.stream().map(ServiceType::key).toList();
    }

    @Override
    public int compareTo(ServiceType other) {
        return ORDER.compare(this, other);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ServiceType type
                && order == type.order
                && key.equals(type.key)
                && publicPath.equals(type.publicPath)
                && modelSource.equals(type.modelSource);
    }

    @Override
    public int hashCode() {
        return Objects.hash(order, key, publicPath, modelSource);
    }

    @Override
    public String toString() {
        return key;
    }
}
