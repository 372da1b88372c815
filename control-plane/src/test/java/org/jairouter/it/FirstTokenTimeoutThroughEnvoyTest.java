package org.jairouter.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.InternalServerException;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseStreamEvent;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.jairouter.envoy.HostStatus;
import org.jairouter.fixtures.Closing;
import org.jairouter.fixtures.Conditions;
import org.jairouter.fixtures.StubBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * With {@code first-token-timeout: 1s}, an instance that sends a stream's headers at once and its first
 * token 30 s later (as a queued vLLM does) costs a streamed request 1 s, not 30: the try is given up and
 * the request answered by another instance, the client none the wiser; Envoy counts the timeouts and
 * ejects the instance once they keep coming. A stream that has sent its first token is never cut however
 * long it pauses, and a whole (not streamed) answer slower than 1 s still arrives.
 */
class FirstTokenTimeoutThroughEnvoyTest {
    private static final Duration FIRST_TOKEN_TIMEOUT = Duration.ofSeconds(1);
    /**
     * What a normal first token may take on a loaded, shared test machine, on top of the timeout (tens of
     * ms when idle); far below the 30 s the stalled instance takes.
     */
    private static final Duration NORMAL_FIRST_TOKEN = Duration.ofSeconds(2);

    private static final Duration LONGER_THAN_THE_TIMEOUT = FIRST_TOKEN_TIMEOUT.plusMillis(500);
    /**
     * All at once: round-robin sends about half to the stalled instance, whose tries then time out together
     * (more retries at once than Envoy's default of 3 per cluster allows), and at least the five in a row
     * after which Envoy ejects it.
     */
    private static final int STREAMS = 16;

    private static StubBackend stalled;
    private static StubBackend healthy;
    private static StubBackend pausing;
    private static StubBackend slowWhole;
    private static StubBackend stalledResponder;
    private static StubBackend healthyResponder;
    private static StubBackend stalledAlone;
    private static RouterHarness router;
    private static OpenAIClient client;

    @BeforeAll
    static void start() throws Exception {
        stalled = StubBackend.start("chat-stalled");
        healthy = StubBackend.start("chat-healthy");
        pausing = StubBackend.start("chat-pausing");
        slowWhole = StubBackend.start("chat-slow-whole");
        stalledResponder = StubBackend.start("responder-stalled");
        healthyResponder = StubBackend.start("responder-healthy");
        stalledAlone = StubBackend.start("chat-stalled-alone");
        router = RouterHarness.start("""
                model:
                  services:
                    chat:
                      first-token-timeout: %ds
                      load-balance: {type: round-robin}
                      instances:
                        - {name: "pair", base-url: "%s"}
                        - {name: "pair", base-url: "%s"}
                        - {name: "pauser", base-url: "%s"}
                        - {name: "slow", base-url: "%s"}
                        - {name: "responder", base-url: "%s"}
                        - {name: "responder", base-url: "%s"}
                        - {name: "alone", base-url: "%s"}
                """.formatted(
                        FIRST_TOKEN_TIMEOUT.toSeconds(),
                        stalled.baseUrl(),
                        healthy.baseUrl(),
                        pausing.baseUrl(),
                        slowWhole.baseUrl(),
                        stalledResponder.baseUrl(),
                        healthyResponder.baseUrl(),
                        stalledAlone.baseUrl()));
        client = router.client();
        // The client's and the router's first stream pay for their warm-up (class loading, connections).
        streamFrom("pauser", "Hello from chat-pausing");
        stalled.setFirstTokenDelay(Duration.ofSeconds(30));
        pausing.setChunkInterval(LONGER_THAN_THE_TIMEOUT);
        slowWhole.setFirstTokenDelay(LONGER_THAN_THE_TIMEOUT);
        stalledResponder.setFirstTokenDelay(Duration.ofSeconds(30));
        stalledAlone.setFirstTokenDelay(Duration.ofSeconds(30));
    }

    @AfterAll
    static void stop() throws Exception {
        Closing.all(router, stalled, healthy, pausing, slowWhole, stalledResponder, healthyResponder, stalledAlone);
    }

    @Test
    void streamsTheStalledInstanceTookAreAnsweredByAnotherWithinTheTimeoutAndItIsEjected() throws Exception {
        List<OpenAIClient> own = new ArrayList<>();
        for (int i = 0; i < STREAMS; i++) {
            // A client each: one client runs at most 5 requests to a host at once.
            own.add(RouterHarness.clientBuilder(router.baseUrl()).build());
        }
        // All at once, so that the stalled instance's tries time out together.
        CyclicBarrier start = new CyclicBarrier(STREAMS);
        List<Future<Duration>> firstTokens = new ArrayList<>();
        ExecutorService clients = Executors.newFixedThreadPool(STREAMS);
        try {
            for (OpenAIClient client : own) {
                firstTokens.add(clients.submit(() -> {
                    start.await();
                    return streamFrom(client, "pair", "Hello from chat-healthy");
                }));
            }
            for (Future<Duration> firstToken : firstTokens) {
                Duration waited = firstToken.get();
                assertTrue(
                        waited.compareTo(FIRST_TOKEN_TIMEOUT.plus(NORMAL_FIRST_TOKEN)) <= 0,
                        "a stream's first token came after " + waited.toMillis() + " ms");
            }
        } finally {
            clients.shutdownNow();
            own.forEach(OpenAIClient::close);
        }
        int triedOnStalled = stalled.requestCount();
        assertTrue(triedOnStalled > 0, "round-robin never tried the stalled instance");
        assertEquals(STREAMS, healthy.requestCount(), "every stream is answered by the healthy instance");

        assertTrue(
                envoyCounter("cluster.chat~pair.upstream_rq_per_try_timeout") >= triedOnStalled,
                "Envoy counted fewer try timeouts than tries on the stalled instance");
        Conditions.await("the stalled instance ejected", Duration.ofSeconds(30), () -> ejected(stalled));
        Conditions.await("the ejection and the retries in /metrics", Duration.ofSeconds(30), () -> {
            String metrics = metrics();
            return counted(metrics, "jairouter_instance_ejections_total{", ":" + stalled.port())
                    && counted(metrics, "jairouter_upstream_retries_total{", "\"pair\"");
        });
        // Ejected: the next streams go straight to the healthy instance.
        streamFrom("pair", "Hello from chat-healthy");
        assertEquals(triedOnStalled, stalled.requestCount(), "the ejected instance still got requests");
    }

    @Test
    void aStreamThatStartedIsNotCutWhenItPausesLongerThanTheTimeout() {
        int before = pausing.requestCount();
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> streamFrom("pauser", "Hello from chat-pausing"));
        assertEquals(before + 1, pausing.requestCount(), "the started stream was tried again");
    }

    @Test
    void aWholeAnswerSlowerThanTheTimeoutStillArrives() {
        assertEquals("Hello from chat-slow-whole", router.chat("slow"));
        assertEquals(1, slowWhole.requestCount(), "the whole answer was tried again");
    }

    /** When every try timed out: 504 in OpenAI's error JSON, naming the model and the first-token timeout. */
    @Test
    void aStreamNoInstanceStartsInTimeIsAnswered504() {
        InternalServerException error = assertTimeoutPreemptively(
                Duration.ofSeconds(60),
                () -> assertThrows(InternalServerException.class, () -> streamFrom("alone", "")));

        assertEquals(504, error.statusCode());
        assertTrue(
                error.getMessage()
                        .contains("model 'alone' did not send its first token within the model's"
                                + " first-token timeout"),
                error.getMessage());
    }

    /**
     * Set and unset on a running router: once in force, the slow instance's streams are moved within the
     * timeout; once gone, they wait for it again; every stream meanwhile completes.
     */
    @Test
    void theTimeoutSetAndUnsetLiveTakesEffectWithEveryStreamCompleting() throws Exception {
        try (StubBackend slow = StubBackend.start("chat-live-slow");
                StubBackend quick = StubBackend.start("chat-live-quick");
                RouterHarness live = RouterHarness.start(liveConfig(slow, quick, ""))) {
            Duration slowFirstToken = LONGER_THAN_THE_TIMEOUT.plusSeconds(1);
            slow.setFirstTokenDelay(slowFirstToken);
            live.replaceConfig(
                    liveConfig(slow, quick, "first-token-timeout: " + FIRST_TOKEN_TIMEOUT.toSeconds() + "s"));
            Conditions.await("the slow instance's streams moved within the timeout", Duration.ofSeconds(60), () -> {
                int before = slow.requestCount();
                Duration slowest = slowestOf(live, 4);
                return slow.requestCount() > before && slowest.compareTo(slowFirstToken) < 0;
            });
            live.replaceConfig(liveConfig(slow, quick, ""));
            Conditions.await(
                    "the slow instance's streams waited for again",
                    Duration.ofSeconds(60),
                    () -> slowestOf(live, 4).compareTo(slowFirstToken) >= 0);
        }
    }

    private static String liveConfig(StubBackend slow, StubBackend quick, String firstTokenTimeout) {
        return """
                model:
                  services:
                    chat:
                      %s
                      load-balance: {type: round-robin}
                      instances:
                        - {name: "live", base-url: "%s"}
                        - {name: "live", base-url: "%s"}
                """.formatted(firstTokenTimeout, slow.baseUrl(), quick.baseUrl());
    }

    /** The longest time to first token of {@code count} streams of model {@code live}, one after another. */
    private static Duration slowestOf(RouterHarness live, int count) {
        Duration slowest = Duration.ZERO;
        for (int i = 0; i < count; i++) {
            Duration firstToken = streamFrom(live.client(), "live", null);
            slowest = firstToken.compareTo(slowest) > 0 ? firstToken : slowest;
        }
        return slowest;
    }

    /** The chat service's other streaming APIs have their streams' routes too: here the Responses API. */
    @Test
    void aResponsesStreamTheStalledInstanceTookIsAnsweredByAnother() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            // Round-robin (on each of Envoy's workers): one of two lands on the stalled instance first.
            for (int i = 0; i < 4; i++) {
                long start = System.nanoTime();
                try (StreamResponse<ResponseStreamEvent> stream = client.responses()
                        .createStreaming(ResponseCreateParams.builder()
                                .model("responder")
                                .input("hi")
                                .build())) {
                    String text = stream.stream()
                            .filter(ResponseStreamEvent::isOutputTextDelta)
                            .map(event -> event.asOutputTextDelta().delta())
                            .collect(Collectors.joining());
                    assertEquals("Hello from responder-healthy", text);
                }
                Duration took = Duration.ofNanos(System.nanoTime() - start);
                assertTrue(
                        took.compareTo(FIRST_TOKEN_TIMEOUT.plus(NORMAL_FIRST_TOKEN)) <= 0,
                        "a Responses stream took " + took.toMillis() + " ms");
            }
        });
        assertTrue(stalledResponder.requestCount() > 0, "round-robin never tried the stalled instance");
    }

    private static Duration streamFrom(String model, String expected) {
        return streamFrom(client, model, expected);
    }

    /**
     * Streams a chat answer through the SDK; checks its text (any instance's when {@code expected} is null)
     * and returns the time to its first chunk.
     */
    private static Duration streamFrom(OpenAIClient client, String model, String expected) {
        long start = System.nanoTime();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat()
                .completions()
                .createStreaming(ChatCompletionCreateParams.builder()
                        .model(model)
                        .addUserMessage("hi")
                        .build())) {
            Iterator<ChatCompletionChunk> chunks = stream.stream().iterator();
            StringBuilder text = new StringBuilder();
            chunks.next().choices().forEach(c -> c.delta().content().ifPresent(text::append));
            Duration firstToken = Duration.ofNanos(System.nanoTime() - start);
            chunks.forEachRemaining(
                    chunk -> chunk.choices().forEach(c -> c.delta().content().ifPresent(text::append)));
            assertTrue(text.toString().startsWith("Hello from "), "a stream ended early: " + text);
            if (expected != null) {
                assertEquals(expected, text.toString());
            }
            return firstToken;
        }
    }

    private static boolean ejected(StubBackend backend) {
        try {
            return router.admin().hostStatuses().stream()
                    .filter(host -> host.hostname().endsWith(":" + backend.port()))
                    .anyMatch(HostStatus::ejected);
        } catch (Exception e) {
            throw new IllegalStateException("reading Envoy's hosts", e);
        }
    }

    private static String metrics() {
        try {
            return router.metrics();
        } catch (Exception e) {
            throw new IllegalStateException("reading /metrics", e);
        }
    }

    /** Whether a sample of the metric whose labels hold {@code label} is above zero. */
    private static boolean counted(String metrics, String series, String label) {
        return metrics.lines()
                .filter(line -> line.startsWith(series) && line.contains(label))
                .anyMatch(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)) > 0);
    }

    /** An Envoy counter, from its admin's stats. */
    private static long envoyCounter(String name) throws IOException, InterruptedException {
        String body = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(
                                        URI.create("http://" + router.admin().address() + "/stats"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
        return body.lines()
                .filter(line -> line.startsWith(name + ": "))
                .mapToLong(
                        line -> Long.parseLong(line.substring(name.length() + 2).trim()))
                .sum();
    }
}
