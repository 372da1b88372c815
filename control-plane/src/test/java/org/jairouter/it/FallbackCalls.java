package org.jairouter.it;

import com.openai.client.OpenAIClient;
import com.openai.core.http.HttpResponseFor;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import java.util.List;
import java.util.stream.Collectors;
import org.jairouter.fixtures.RecordedRequest;
import org.jairouter.fixtures.StubBackend;

/** The SDK calls and checks the fallback tests share: which model served, and what its server was sent. */
final class FallbackCalls {
    /** The response header naming the model that served. */
    static final String SERVED = "x-jairouter-served-model";

    private FallbackCalls() {}

    /** A streamed answer's text, and the models its response header named. */
    record Streamed(String text, List<String> served) {}

    static HttpResponseFor<ChatCompletion> chat(OpenAIClient client, String model) {
        return client.withRawResponse().chat().completions().create(params(model));
    }

    static Streamed stream(OpenAIClient client, String model) {
        try (HttpResponseFor<StreamResponse<ChatCompletionChunk>> response =
                        client.withRawResponse().chat().completions().createStreaming(params(model));
                StreamResponse<ChatCompletionChunk> stream = response.parse()) {
            String text = stream.stream()
                    .flatMap(chunk -> chunk.choices().stream())
                    .map(choice -> choice.delta().content().orElse(""))
                    .collect(Collectors.joining());
            return new Streamed(text, response.headers().values(SERVED));
        }
    }

    static String content(ChatCompletion completion) {
        return completion.choices().get(0).message().content().orElseThrow();
    }

    /** The last request the stub received. */
    static RecordedRequest last(StubBackend stub) {
        List<RecordedRequest> requests = stub.requests();
        return requests.get(requests.size() - 1);
    }

    private static ChatCompletionCreateParams params(String model) {
        return ChatCompletionCreateParams.builder()
                .model(model)
                .addUserMessage("hi")
                .build();
    }
}
