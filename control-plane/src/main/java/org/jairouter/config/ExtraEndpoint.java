package org.jairouter.config;

import java.util.Arrays;
import java.util.List;

/**
 * A public path a service's models are also served on, besides the service's own ({@link
 * ServiceType#publicPath()}): the other APIs model servers offer for the same models. Requests name the
 * model in the same kind of body as the service's own path, and pass the same client-key permission (the
 * service's). Which adapters serve which is {@link Adapter}'s table (docs/api.md).
 */
public enum ExtraEndpoint {
    /** OpenAI's legacy text completions, the API code-completion tools call. */
    COMPLETIONS(ServiceType.CHAT, "completions", "/v1/completions", "text_completion"),
    /** OpenAI's Responses API; a stored response is found by searching the instances (ResponsesLookup). */
    RESPONSES(ServiceType.CHAT, "responses", "/v1/responses", "responses"),
    /** Anthropic's Messages API. */
    MESSAGES(ServiceType.CHAT, "messages", "/v1/messages", "messages"),
    /**
     * vLLM's and SGLang's tokenizer of a model ({@code {"model", "prompt"}} or {@code {"model", "messages"}}) and
     * its inverse ({@code {"model", "tokens"}}), at the servers' root, without a version prefix.
     */
    TOKENIZE(ServiceType.CHAT, "tokenize", "/tokenize", "tokenize"),
    DETOKENIZE(ServiceType.CHAT, "detokenize", "/detokenize", "detokenize"),
    /** OpenAI's audio translations (into English), multipart like transcriptions. */
    TRANSLATIONS(ServiceType.STT, "translations", "/v1/audio/translations", "translations"),
    /** vLLM's score API (pairs of texts), and the same API without the version prefix. */
    SCORE(ServiceType.RERANK, "score", "/v1/score", "score"),
    SCORE_UNVERSIONED(ServiceType.RERANK, "score-unversioned", "/score", "score"),
    /** Jina's rerank without the version prefix (vLLM), and Cohere's v2 rerank. */
    RERANK_UNVERSIONED(ServiceType.RERANK, "rerank-unversioned", "/rerank", "rerank"),
    RERANK_V2(ServiceType.RERANK, "rerank-v2", "/v2/rerank", "rerank");

    private final ServiceType service;
    private final String key;
    private final String publicPath;
    private final String operation;

    ExtraEndpoint(ServiceType service, String key, String publicPath, String operation) {
        this.service = service;
        this.key = key;
        this.publicPath = publicPath;
        this.operation = operation;
    }

    public ServiceType service() {
        return service;
    }

    /** Names the endpoint's routes ({@code key:model}), from which the metrics tell the endpoint. */
    public String key() {
        return key;
    }

    public String publicPath() {
        return publicPath;
    }

    /**
     * The {@code gen_ai_operation_name} of its requests: OpenTelemetry's name where one fits, else the API's
     * own, so that dashboards tell the APIs of one model apart (the service label groups them).
     */
    public String operation() {
        return operation;
    }

    /** The service's extra endpoints, in the order their routes are made. */
    public static List<ExtraEndpoint> of(ServiceType service) {
        return Arrays.stream(values()).filter(e -> e.service == service).toList();
    }
}
