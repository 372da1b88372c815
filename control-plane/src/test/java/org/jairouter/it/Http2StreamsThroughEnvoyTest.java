package org.jairouter.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.OpenAIIoException;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.CompletionUsage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Response;
import okhttp3.internal.http2.ErrorCode;
import okhttp3.internal.http2.StreamResetException;
import org.jairouter.fixtures.Closing;
import org.jairouter.fixtures.Conditions;
import org.jairouter.fixtures.Gate;
import org.jairouter.fixtures.StubBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The official SDK speaking HTTP/2 to the router (cleartext, prior knowledge): SSE streams share client
 * connections up to {@code server.http2.max-concurrent-streams} each, every one reaches the instance
 * and streams to its end, and their usage is recorded as over HTTP/1.1.
 *
 * <p>OkHttp applies the router's SETTINGS on a task of its own, so on a busy machine it may open a
 * stream beyond the limit on a connection it has not yet learnt the limit of; Envoy refuses that
 * stream (REFUSED_STREAM: not processed, safe to send again). The test sends it again, as the SDK's
 * default retries would, and checks that Envoy never refused a stream within the limit.
 */
class Http2StreamsThroughEnvoyTest {
    private static final int STREAMS = 20;
    private static final int STREAMS_PER_CONNECTION = 10;
    private static final Duration NO_HANG = Duration.ofSeconds(60);

    private static StubBackend chat;
    private static RouterHarness router;

    @BeforeAll
    static void start() throws Exception {
        chat = StubBackend.start("chat-h2");
        router = RouterHarness.startWithServer(
                """
                server:
                  address: 127.0.0.1
                  port: 0
                  http2:
                    max-concurrent-streams: %d
                """.formatted(STREAMS_PER_CONNECTION), RouterHarness.oneChatInstance(chat.baseUrl()));
    }

    @AfterAll
    static void stop() throws Exception {
        Closing.all(router, chat);
    }

    @Test
    void concurrentStreamsShareHttp2ConnectionsAsTheListenerAllowsAndAreAllServedAndCounted() throws Exception {
        Set<String> protocols = ConcurrentHashMap.newKeySet();
        Map<Object, Integer> openedPerConnection = new ConcurrentHashMap<>();
        // How many streams a connection already carried each time Envoy refused one on it.
        List<Integer> refusedWith = new CopyOnWriteArrayList<>();
        OkHttpClient http2 = new OkHttpClient.Builder()
                .protocols(List.of(Protocol.H2_PRIOR_KNOWLEDGE))
                // The stub holds every stream until all are open, which on a busy machine takes longer
                // than OkHttp's default 10 s read timeout (the SDK's own client waits 10 minutes).
                .readTimeout(NO_HANG)
                .addNetworkInterceptor(chain -> {
                    protocols.add(chain.connection().protocol().toString());
                    try {
                        Response response = chain.proceed(chain.request());
                        openedPerConnection.merge(chain.connection(), 1, Integer::sum);
                        return response;
                    } catch (StreamResetException e) {
                        if (e.errorCode == ErrorCode.REFUSED_STREAM) {
                            refusedWith.add(openedPerConnection.getOrDefault(chain.connection(), 0));
                        }
                        throw e;
                    }
                })
                .build();
        OpenAIClient client = RouterHarness.clientBuilder(router.baseUrl())
                .okHttpClient(http2)
                .build();
        Gate rest = chat.pauseStreamsAfterFirstChunk();
        ExecutorService readers = Executors.newFixedThreadPool(STREAMS);
        try {
            List<StreamResponse<ChatCompletionChunk>> streams = new ArrayList<>();
            List<Future<CompletionUsage>> usages = new ArrayList<>();
            for (int i = 0; i < STREAMS; i++) {
                StreamResponse<ChatCompletionChunk> stream =
                        Conditions.awaitValue("stream " + (i + 1) + " accepted", NO_HANG, () -> open(client));
                streams.add(stream);
                Iterator<ChatCompletionChunk> chunks = stream.stream().iterator();
                chunks.next(); // the role chunk: this stream is open end to end while the stub holds the rest
                usages.add(readers.submit(() -> usage(chunks)));
            }
            assertEquals(STREAMS, chat.inFlight(), "every stream must be held at the instance at once");
            rest.open();
            long outputTokens = 0;
            for (Future<CompletionUsage> usage : usages) {
                outputTokens += usage.get(NO_HANG.toSeconds(), TimeUnit.SECONDS).completionTokens();
            }
            streams.forEach(StreamResponse::close);

            assertEquals(Set.of("h2_prior_knowledge"), protocols);
            // OkHttp opens a connection once the one it has carries as many streams as Envoy announced.
            assertEquals(
                    Collections.nCopies(STREAMS / STREAMS_PER_CONNECTION, STREAMS_PER_CONNECTION),
                    List.copyOf(openedPerConnection.values()),
                    "streams per client connection");
            assertTrue(
                    refusedWith.stream().allMatch(carried -> carried >= STREAMS_PER_CONNECTION),
                    "Envoy refuses only a stream beyond the limit; refused on connections carrying " + refusedWith);
            assertEquals(STREAMS, chat.requestCount());
            long sent = outputTokens;
            Conditions.awaitValue("the streams' requests and output tokens in /metrics", Duration.ofSeconds(30), () -> {
                String metrics = router.metrics();
                boolean counted = KeyBudgetsThroughEnvoyTest.sum(metrics, "jairouter_requests_total{", "qwen3")
                                == STREAMS
                        && KeyBudgetsThroughEnvoyTest.sum(
                                        metrics, "gen_ai_client_token_usage_sum{", "gen_ai_token_type=\"output\"")
                                == sent;
                return counted ? Optional.of(metrics) : Optional.empty();
            });
        } finally {
            rest.open();
            readers.shutdownNow();
            client.close();
        }
    }

    /** A new stream, or none if Envoy refused it: it was not processed, so it may be sent again. */
    private static Optional<StreamResponse<ChatCompletionChunk>> open(OpenAIClient client) {
        try {
            return Optional.of(client.chat().completions().createStreaming(params()));
        } catch (OpenAIIoException e) {
            if (e.getCause() instanceof StreamResetException reset && reset.errorCode == ErrorCode.REFUSED_STREAM) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** Reads a stream to its end: it must finish normally and carry the instance's usage chunk. */
    private static CompletionUsage usage(Iterator<ChatCompletionChunk> chunks) {
        CompletionUsage usage = null;
        String finish = null;
        while (chunks.hasNext()) {
            ChatCompletionChunk chunk = chunks.next();
            if (chunk.usage().isPresent()) {
                usage = chunk.usage().get();
            }
            if (!chunk.choices().isEmpty()
                    && chunk.choices().get(0).finishReason().isPresent()) {
                finish = chunk.choices().get(0).finishReason().get().asString();
            }
        }
        assertEquals("stop", finish);
        assertTrue(usage != null && usage.completionTokens() > 0, "a usage chunk with output tokens");
        return usage;
    }

    private static ChatCompletionCreateParams params() {
        return ChatCompletionCreateParams.builder()
                .model("qwen3")
                .addUserMessage("Tell me a story")
                .streamOptions(
                        ChatCompletionStreamOptions.builder().includeUsage(true).build())
                .build();
    }
}
