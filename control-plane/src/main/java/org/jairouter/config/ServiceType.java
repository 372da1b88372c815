package org.jairouter.config;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** The seven services JAiRouter routes, each with its public OpenAI path and how its requests name a model. */
public enum ServiceType {
    CHAT("chat", "/v1/chat/completions", "/v1/chat/status", RequestBody.JSON),
    EMBEDDING("embedding", "/v1/embeddings", "/v1/embeddings/status", RequestBody.JSON),
    RERANK("rerank", "/v1/rerank", "/v1/rerank/status", RequestBody.JSON),
    TTS("tts", "/v1/audio/speech", "/v1/audio/speech/status", RequestBody.JSON),
    STT("stt", "/v1/audio/transcriptions", "/v1/audio/transcriptions/status", RequestBody.MULTIPART),
    IMG_GEN("img-gen", "/v1/images/generations", "/v1/images/generations/status", RequestBody.JSON, "imgGen"),
    IMG_EDIT("img-edit", "/v1/images/edits", "/v1/images/edits/status", RequestBody.MULTIPART, "imgEdit");
    /** The longest model name a request may ask for (and the config may name); real names are far shorter. */
    public static final int MAX_MODEL_NAME = 256;

    /** Where the request's {@code model} is found. */
    public enum RequestBody {
        JSON,
        MULTIPART
    }

    private final String key;
    private final String publicPath;
    private final String statusPath;
    private final RequestBody body;
    private final List<String> aliases;

    ServiceType(String key, String publicPath, String statusPath, RequestBody body, String... aliases) {
        this.key = key;
        this.publicPath = publicPath;
        this.statusPath = statusPath;
        this.body = body;
        this.aliases = List.of(aliases);
    }

    /** The key under {@code model.services} in the YAML. */
    public String key() {
        return key;
    }

    public String publicPath() {
        return publicPath;
    }

    public String statusPath() {
        return statusPath;
    }

    public RequestBody body() {
        return body;
    }

    /**
     * How long an instance may take to start its answer (its response headers) unless the config sets
     * {@code response-timeout}. A stream starts at once and is then not bound by it; a non-streamed
     * answer must be complete within it. Chosen so that the default retries of a silent instance (three
     * tries) end within the 300 s after which Envoy ends a silent request; image generation, which is not
     * retried once sent ({@link #retriesAfterSent}), has the longest single try.
     */
    public Duration defaultResponseTimeout() {
        return Duration.ofSeconds(
                switch (this) {
                    case CHAT, STT -> 90;
                    case TTS -> 60;
                    case EMBEDDING, RERANK -> 30;
                    case IMG_GEN, IMG_EDIT -> 240;
                });
    }

    /**
     * Whether a request that reached an instance may be tried again on another when the instance fails
     * without an answer: it closed or reset the connection, answered garbage, or did not answer in time.
     * Model servers abort the work of a request whose connection closed (vLLM, SGLang, Ollama), so for
     * text and audio at most aborted work is lost. An image may be generated (and billed) to the end
     * anyway: image requests are tried again only when no instance has read them.
     */
    public boolean retriesAfterSent() {
        return this != IMG_GEN && this != IMG_EDIT;
    }

    /**
     * Whether its answers stream as server-sent events on request ({@code "stream": true}), token by token:
     * chat, on its own path and its extra ones (completions, responses, messages).
     */
    public boolean streams() {
        return this == CHAT;
    }

    public static Optional<ServiceType> fromKey(String key) {
        return Arrays.stream(values())
                .filter(t -> t.key.equals(key) || t.aliases.contains(key))
                .findFirst();
    }

    public static List<String> keys() {
        return Arrays.stream(values()).map(ServiceType::key).toList();
    }
}
