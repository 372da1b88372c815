package org.jairouter.config;

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

    public static Optional<ServiceType> fromKey(String key) {
        return Arrays.stream(values())
                .filter(t -> t.key.equals(key) || t.aliases.contains(key))
                .findFirst();
    }

    public static List<String> keys() {
        return Arrays.stream(values()).map(ServiceType::key).toList();
    }
}
