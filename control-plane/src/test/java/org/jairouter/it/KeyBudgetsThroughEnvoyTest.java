package org.jairouter.it;

import static org.jairouter.it.KeyedChats.chat;
import static org.jairouter.it.KeyedChats.stream;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.errors.RateLimitException;
import com.openai.models.completions.CompletionUsage;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.jairouter.envoy.EnvoyAdmin;
import org.jairouter.envoy.EnvoyBinary;
import org.jairouter.envoy.EnvoyBootstrap;
import org.jairouter.envoy.EnvoyLimits;
import org.jairouter.envoy.EnvoyProcess;
import org.jairouter.fixtures.Conditions;
import org.jairouter.fixtures.Gate;
import org.jairouter.fixtures.StubBackend;
import org.jairouter.translate.Names;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Daily token budgets counted from what Envoy reports, for the whole fleet: one control plane, two Envoy
 * processes; a key's JSON and streamed answers through both spend one budget, then both Envoys refuse it
 * with 429 {@code insufficient_quota} while another key goes on. The counts in the status, the metrics'
 * key_id label and the access log's key_id field are those the SDK saw. The ledger in the work folder
 * keeps the key spent across a restart of the control plane.
 */
class KeyBudgetsThroughEnvoyTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String BUDGETED = "sk-budget-fleet-key-000001";
    private static final String FREE = "sk-budget-free-key-0000002";
    /** Concurrent streams per round of the overshoot test. */
    private static final int ROUND = 4;
    /** Full rounds the budget admits; it leaves one token after them, fewer than any request. */
    private static final int ROUNDS = 3;
    /** The tokens of one request: the stub answers every request alike. */
    private long unit;

    private long tokenLimit;
    private StubBackend stub;
    private Path accessLog;
    private RouterHarness router;
    private Path secondDir;
    private EnvoyProcess second;
    /** What the SDK saw the budgeted key use: its answered requests and their tokens. */
    private long tokens;

    private long requests;

    @BeforeEach
    void start() throws Exception {
        stub = StubBackend.start("budget");
        unit = chat(stub.baseUrl(), FREE).totalTokens();
        tokenLimit = ROUNDS * ROUND * unit + 1;
        accessLog = Files.createTempFile("jairouter-keys-", ".log");
        router = RouterHarness.start("""
                monitoring:
                  access-log: %s
                jairouter:
                  security:
                    enabled: true
                    api-key:
                      keys:
                        - {key-id: budgeted, key-value: "%s", daily-token-limit: %d}
                        - {key-id: free, key-value: "%s"}
                model:
                  services:
                    chat:
                      instances: [{name: m, base-url: "%s"}]
                """.formatted(accessLog, BUDGETED, tokenLimit, FREE, stub.baseUrl()));
    }

    @AfterEach
    void stop() throws Exception {
        if (second != null) {
            second.close();
            try (Stream<Path> files = Files.walk(secondDir)) {
                files.sorted(Comparator.reverseOrder())
                        .forEach(file -> file.toFile().delete());
            }
        }
        router.close();
        stub.close();
        Files.deleteIfExists(accessLog);
    }

    @Test
    void jsonAndStreamedAnswersThroughTwoEnvoysSpendOneBudgetThenBothRefuseTheKey() throws Exception {
        List<String> envoys = List.of(router.baseUrl(), baseUrl(startSecondEnvoy()));
        while (leavesARequest()) {
            String envoy = envoys.get((int) (requests % 2));
            answered(requests % 4 < 2 ? chat(envoy, BUDGETED) : stream(envoy, BUDGETED));
        }
        awaitTrue(
                "the control plane counting the key spent",
                () -> keyStatus().path("budget_spent").asBoolean());
        for (String envoy : envoys) {
            RateLimitException refused = Conditions.awaitValue(
                    "Envoy " + envoy + " refusing the spent key", Duration.ofSeconds(5), () -> refusal(envoy));
            assertEquals(Optional.of("insufficient_quota"), refused.code(), envoy);
            chat(envoy, FREE);
        }

        // Records arrive within Envoy's flush interval; the counts must then be exactly what the SDK saw.
        awaitTrue("the status counting every answer", () -> {
            JsonNode status = keyStatus();
            return status.path("tokens_today").asLong() == tokens
                    && status.path("requests_today").asLong() == requests;
        });
        assertEquals(tokenLimit, keyStatus().path("daily_token_limit").asLong());
        awaitTrue(
                "the free key's two answers in the metrics",
                () -> sum(get("/metrics"), "jairouter_requests_total{", "key_id=\"free\"") == 2);
        String metrics = get("/metrics");
        assertEquals(requests, sum(metrics, "jairouter_requests_total{", "key_id=\"budgeted\""), metrics);
        assertEquals(tokens, sum(metrics, "gen_ai_client_token_usage_sum{", "key_id=\"budgeted\""), metrics);
        awaitTrue("the refusals in the access log", () -> accessLogKeyIds().size() >= requests + 4);
        assertEquals(
                List.of("budgeted", "free"),
                accessLogKeyIds().stream().distinct().sorted().toList());
        String ledger = Files.readString(router.workDir().resolve("budgets.json"));
        assertTrue(ledger.contains("\"budgeted\""), ledger);
        assertFalse(ledger.contains(BUDGETED) || ledger.contains(FREE), "the ledger must name keys by id only");
    }

    /** Envoy sends its records at least every second: what they change shows within a few. */
    private static void awaitTrue(String what, Condition condition) throws Exception {
        Conditions.awaitValue(
                what, Duration.ofSeconds(10), () -> condition.holds() ? Optional.of(true) : Optional.empty());
    }

    private interface Condition {
        boolean holds() throws Exception;
    }

    @Test
    void aSpentBudgetStaysSpentAfterTheControlPlaneRestarts() throws Exception {
        while (leavesARequest()) {
            answered(requests % 2 == 0 ? chat(router.baseUrl(), BUDGETED) : stream(router.baseUrl(), BUDGETED));
        }
        awaitTrue(
                "the control plane counting every answer",
                () -> keyStatus().path("tokens_today").asLong() == tokens);

        router = router.restarted();
        RateLimitException refused = Conditions.awaitValue(
                "the restarted router refusing the spent key", Duration.ofSeconds(5), () -> refusal(router.baseUrl()));
        assertEquals(Optional.of("insufficient_quota"), refused.code());
        chat(router.baseUrl(), FREE);
        assertEquals(tokens, keyStatus().path("tokens_today").asLong());
        assertEquals(requests, keyStatus().path("requests_today").asLong());
    }

    /**
     * Rounds of concurrent streams, each round's records counted before the next: today's code admitted a
     * fourth round with one token left (16 requests' worth against 12 and a token); the margin refuses the
     * key once fewer tokens than a request remain, so what the rounds used stays within the budget.
     */
    @Test
    void concurrentStreamsStopWithinTheBudgetWhenFewerTokensThanARequestRemain() throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(ROUND);
        try {
            while (!keyStatus().path("budget_spent").asBoolean()) {
                List<Future<CompletionUsage>> round = new ArrayList<>();
                for (int stream = 0; stream < ROUND; stream++) {
                    round.add(clients.submit(() -> stream(router.baseUrl(), BUDGETED)));
                }
                for (Future<CompletionUsage> answer : round) {
                    answered(answer.get());
                }
                long sent = requests;
                awaitTrue(
                        "the round's records counted",
                        () -> keyStatus().path("requests_today").asLong() == sent);
                awaitTrue(
                        "the ledger's word on the key published",
                        () -> leavesARequest()
                                || keyStatus().path("budget_spent").asBoolean());
            }
        } finally {
            clients.shutdownNow();
        }
        assertEquals(ROUNDS * ROUND, requests);
        assertTrue(tokens <= tokenLimit, tokens + " tokens against a budget of " + tokenLimit);
        RateLimitException refused = Conditions.awaitValue(
                "Envoy refusing the spent key", Duration.ofSeconds(5), () -> refusal(router.baseUrl()));
        assertEquals(Optional.of("insufficient_quota"), refused.code());
    }

    /**
     * Streams held open count against the budget while they run: with one request done, 11 units and a
     * token remain, so the eleventh stream in flight leaves no room and Envoy refuses the key before any of
     * them ended; released, they use what the budget had. Counting only ended requests admitted all 20.
     */
    @Test
    void streamsInFlightCountAgainstTheBudgetBeforeTheyEnd() throws Exception {
        answered(chat(router.baseUrl(), BUDGETED));
        awaitTrue(
                "the first request counted",
                () -> keyStatus().path("requests_today").asLong() == 1);
        Gate held = stub.pauseStreamsAfterFirstChunk();
        ExecutorService clients = Executors.newCachedThreadPool();
        List<Future<CompletionUsage>> streams = new ArrayList<>();
        try {
            while (!keyStatus().path("budget_spent").asBoolean() && streams.size() < 20) {
                streams.add(clients.submit(() -> stream(router.baseUrl(), BUDGETED)));
                int started = streams.size();
                awaitTrue(
                        "stream " + started + " counted in flight",
                        () -> keyStatus().path("requests_in_flight").asInt() == started);
                // Each in flight may use a request's worth; the key is spent when no room is left for one more.
                boolean noRoom = tokenLimit - tokens < (started + 1) * unit;
                awaitTrue(
                        "the ledger's word on stream " + started + " published",
                        () -> keyStatus().path("budget_spent").asBoolean() == noRoom);
            }
            assertEquals(11, streams.size(), "streams admitted before the key was spent");
            RateLimitException refused = Conditions.awaitValue(
                    "Envoy refusing the key while its streams run",
                    Duration.ofSeconds(10),
                    () -> refusal(router.baseUrl()));
            assertEquals(Optional.of("insufficient_quota"), refused.code());
        } finally {
            held.open();
            for (Future<CompletionUsage> each : streams) {
                answered(each.get(1, TimeUnit.MINUTES));
            }
            clients.shutdownNow();
        }
        assertTrue(tokens <= tokenLimit, tokens + " tokens against a budget of " + tokenLimit);
        awaitTrue(
                "the streams' records counted",
                () -> keyStatus().path("requests_in_flight").asInt() == 0);
    }

    /** Whether the budget's remaining tokens, as the SDK saw them used, cover another request. */
    private boolean leavesARequest() {
        return tokenLimit - tokens >= unit;
    }

    /** A second Envoy process on the router's control plane, as another machine of the fleet would run it. */
    private int startSecondEnvoy() throws Exception {
        secondDir = Files.createTempDirectory("jairouter-second-envoy-");
        second = EnvoyProcess.startOrAdopt(
                EnvoyBinary.locate(Optional.empty(), EnvoyBinary.defaultInstallDir()),
                EnvoyBootstrap.render(
                        "second-envoy",
                        "127.0.0.1",
                        0,
                        "127.0.0.1",
                        router.router().xdsPort(),
                        EnvoyLimits.DEFAULT),
                secondDir,
                "warning",
                1);
        return Conditions.awaitValue("the second Envoy serving", Duration.ofMinutes(3), () -> {
            Optional<EnvoyAdmin> admin = second.adminAddress().map(EnvoyAdmin::new);
            return admin.isPresent() && admin.get().isReady()
                    ? admin.get().listenerPort(Names.LISTENER)
                    : Optional.empty();
        });
    }

    private static String baseUrl(int port) {
        return "http://127.0.0.1:" + port + "/v1";
    }

    private void answered(CompletionUsage usage) {
        tokens += usage.totalTokens();
        requests++;
    }

    /** The refusal of the budgeted key by this Envoy; an answer instead (the push is not there yet) counts. */
    private Optional<RateLimitException> refusal(String baseUrl) {
        try {
            answered(chat(baseUrl, BUDGETED));
            return Optional.empty();
        } catch (RateLimitException e) {
            return Optional.of(e);
        }
    }

    private JsonNode keyStatus() throws IOException, InterruptedException {
        return JSON.readTree(get("/v1/status")).path("keys").path("budgeted");
    }

    private String get(String path) throws IOException, InterruptedException {
        return HTTP.send(
                        HttpRequest.newBuilder(URI.create(
                                        "http://127.0.0.1:" + router.router().statusPort() + path))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
    }

    /** The sum of a metric's samples whose labels include the given one. */
    static long sum(String metrics, String series, String label) {
        return (long) metrics.lines()
                .filter(line -> line.startsWith(series) && line.contains(label))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .sum();
    }

    private List<String> accessLogKeyIds() throws IOException {
        return Files.readAllLines(accessLog).stream()
                .map(line -> {
                    try {
                        return JSON.readTree(line).path("key_id").asText("");
                    } catch (IOException e) {
                        throw new IllegalStateException("not a JSON line: " + line, e);
                    }
                })
                .filter(id -> !id.isEmpty())
                .toList();
    }
}
