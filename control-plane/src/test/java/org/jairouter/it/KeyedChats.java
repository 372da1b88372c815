package org.jairouter.it;

import com.openai.client.OpenAIClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.CompletionUsage;

/**
 * Chat completions of model {@code m} with a client key, through the official SDK (no retries, so every
 * refusal shows as the SDK's exception), JSON or streamed, each answering the usage the instance reported.
 */
final class KeyedChats {
    private KeyedChats() {}

    static CompletionUsage chat(String baseUrl, String key) {
        OpenAIClient client = client(baseUrl, key);
        try {
            return client.chat().completions().create(params().build()).usage().orElseThrow();
        } finally {
            client.close();
        }
    }

    /** A stream that asks for its usage chunk, read to its end. */
    static CompletionUsage stream(String baseUrl, String key) {
        OpenAIClient client = client(baseUrl, key);
        try (StreamResponse<ChatCompletionChunk> chunks = client.chat()
                .completions()
                .createStreaming(params().streamOptions(ChatCompletionStreamOptions.builder()
                                .includeUsage(true)
                                .build())
                        .build())) {
            return chunks.stream()
                    .flatMap(chunk -> chunk.usage().stream())
                    .reduce((first, last) -> last)
                    .orElseThrow();
        } finally {
            client.close();
        }
    }

    private static OpenAIClient client(String baseUrl, String key) {
        return RouterHarness.clientBuilder(baseUrl).apiKey(key).build();
    }

    private static ChatCompletionCreateParams.Builder params() {
        return ChatCompletionCreateParams.builder().model("m").addUserMessage("count these few words please");
    }
}
