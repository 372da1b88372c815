package org.jairouter.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.jairouter.config.ApiKey;
import org.jairouter.config.ApiKeys;
import org.jairouter.config.Secret;
import org.jairouter.config.ServiceType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ledger counts per key and UTC day, in a real file: restarts count on, a new day starts at zero. */
class BudgetLedgerTest {
    private static final ApiKeys KEYS = new ApiKeys(
            true,
            ApiKeys.DEFAULT_HEADER,
            List.of(key("tokens", 0, 100), key("requests", 2, 0), key("free", 0, 0)),
            Set.of());

    @TempDir
    Path dir;

    private static ApiKey key(String id, long requests, long tokens) {
        return new ApiKey(
                id,
                new Secret("sk-" + id + "-value-0000000"),
                Set.copyOf(ServiceType.builtIn()),
                Set.of(),
                Optional.empty(),
                true,
                List.of(),
                0,
                requests,
                tokens,
                false);
    }

    private static Clock at(String instant) {
        return Clock.fixed(Instant.parse(instant), ZoneOffset.UTC);
    }

    @Test
    void aKeyIsSpentByTokensOrRequestsAndTheListenerHearsIt() {
        List<Set<String>> heard = new ArrayList<>();
        BudgetLedger ledger = BudgetLedger.open(dir.resolve("budgets.json"), at("2026-12-01T10:00:00Z"), heard::add);
        assertEquals(Set.of(), ledger.limits(KEYS));
        ledger.record("tokens", 1, 41);
        ledger.record("requests", 1, 5000);
        ledger.record("free", 100, 100_000);
        assertEquals(List.of(), heard);
        ledger.record("tokens", 1, 20);
        ledger.record("requests", 1, 0);
        assertEquals(List.of(Set.of("tokens"), Set.of("tokens", "requests")), heard);
    }

    /**
     * 400 tokens in requests of 39: the tenth leaves 10, fewer than a request, so the key is refused at 390
     * rather than after an eleventh request took it to 429.
     */
    @Test
    void aKeyIsSpentOnceItsRemainingTokensAreFewerThanItsLargestRequest() {
        ApiKeys keys = new ApiKeys(true, ApiKeys.DEFAULT_HEADER, List.of(key("tokens", 0, 400)), Set.of());
        List<Set<String>> heard = new ArrayList<>();
        BudgetLedger ledger = BudgetLedger.open(dir.resolve("budgets.json"), at("2026-12-01T10:00:00Z"), heard::add);
        ledger.limits(keys);
        for (int request = 1; request <= 9; request++) {
            ledger.record("tokens", 1, 39);
        }
        assertEquals(List.of(), heard, "351 used, 49 left: more than a request");
        ledger.record("tokens", 1, 39);
        assertEquals(List.of(Set.of("tokens")), heard, "390 used, 10 left: fewer than a request");
    }

    @Test
    void aFileWithoutTheLargestRequestCountsOn() throws Exception {
        Path file = dir.resolve("budgets.json");
        Files.writeString(file, "{\"day\":\"2026-12-01\",\"used\":{\"tokens\":{\"requests\":1,\"tokens\":60}}}");
        BudgetLedger ledger = BudgetLedger.open(file, at("2026-12-01T10:00:00Z"), spent -> {});
        assertEquals(Set.of(), ledger.limits(KEYS));
        assertEquals(new BudgetLedger.Used(1, 60, 0), ledger.usedToday().get("tokens"));
    }

    @Test
    void countsSurviveARestartOnTheSameDayOnly() throws Exception {
        Path file = dir.resolve("budgets.json");
        BudgetLedger first = BudgetLedger.open(file, at("2026-12-01T23:59:00Z"), spent -> {});
        first.limits(KEYS);
        first.record("tokens", 1, 100);
        first.flush();
        assertEquals(
                Set.of("tokens"),
                BudgetLedger.open(file, at("2026-12-01T23:59:30Z"), spent -> {}).limits(KEYS));
        assertEquals(
                Set.of(),
                BudgetLedger.open(file, at("2026-12-02T00:00:01Z"), spent -> {}).limits(KEYS));
        String saved = Files.readString(file);
        assertEquals(false, saved.contains("sk-"), saved);
    }

    /** A ledger of one key, "tokens", with 400 tokens a day; {@code heard} gets the spent sets. */
    private BudgetLedger ledgerOf400Tokens(Clock clock, List<Set<String>> heard) {
        BudgetLedger ledger = BudgetLedger.open(dir.resolve("budgets.json"), clock, heard::add);
        ledger.limits(new ApiKeys(true, ApiKeys.DEFAULT_HEADER, List.of(key("tokens", 0, 400)), Set.of()));
        return ledger;
    }

    /** A clock the test moves. */
    private static final class Ticking extends Clock {
        private Instant now;

        Ticking(String instant) {
            now = Instant.parse(instant);
        }

        void advance(Duration by) {
            now = now.plus(by);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    /**
     * 400 tokens, one request of 39 done: 361 remain. Eight requests in flight may use 312 of them, which
     * leaves a ninth room; with nine in flight there is none, so the key is refused until one of them ends
     * having used less (10 tokens: 351 remain for eight, and room for one more).
     */
    @Test
    void requestsInFlightCountAgainstWhatRemainsAndTheKeyIsAdmittedAgainWhenTheyEndSmaller() {
        List<Set<String>> heard = new ArrayList<>();
        Ticking clock = new Ticking("2026-12-01T10:00:00Z");
        BudgetLedger ledger = ledgerOf400Tokens(clock, heard);
        ledger.started("tokens");
        ledger.record("tokens", 1, 39);
        for (int running = 1; running <= 8; running++) {
            ledger.started("tokens");
        }
        assertEquals(List.of(), heard, "8 in flight may use 312 of 361: room for one more");
        ledger.started("tokens");
        assertEquals(List.of(Set.of("tokens")), heard, "9 in flight may use 351 of 361: no room for a tenth");
        assertEquals(9, ledger.inFlight().get("tokens"));

        ledger.record("tokens", 1, 10);
        assertEquals(List.of(Set.of("tokens"), Set.of()), heard, "8 in flight, 351 left: room for one more");
    }

    /** Starts and ends travel in different batches: an end first cancels the start that follows it. */
    @Test
    void anEndThatArrivesBeforeItsStartCancelsIt() {
        Ticking clock = new Ticking("2026-12-01T10:00:00Z");
        BudgetLedger ledger = ledgerOf400Tokens(clock, new ArrayList<>());
        ledger.record("tokens", 1, 39);
        clock.advance(Duration.ofSeconds(1));
        ledger.started("tokens");
        assertEquals(0, ledger.inFlight().get("tokens"));

        // Much later, a start is another request's.
        ledger.record("tokens", 1, 39);
        clock.advance(Duration.ofMinutes(1));
        ledger.started("tokens");
        assertEquals(1, ledger.inFlight().get("tokens"));
    }

    /** A start whose end never comes (its Envoy died) stops counting after the longest request. */
    @Test
    void aStartWithoutAnEndIsForgotten() {
        List<Set<String>> heard = new ArrayList<>();
        Ticking clock = new Ticking("2026-12-01T10:00:00Z");
        BudgetLedger ledger = ledgerOf400Tokens(clock, heard);
        ledger.started("tokens");
        ledger.record("tokens", 1, 100);
        for (int running = 1; running <= 3; running++) {
            ledger.started("tokens");
        }
        assertEquals(List.of(Set.of("tokens")), heard, "3 in flight may use 300 of 300");

        clock.advance(BudgetLedger.LONGEST_REQUEST.plusSeconds(1));
        assertEquals(0, ledger.inFlight().get("tokens"));
        ledger.started("tokens");
        assertEquals(1, ledger.inFlight().get("tokens"));
        assertEquals(List.of(Set.of("tokens"), Set.of()), heard, "1 in flight may use 100 of 300: room for more");
    }
}
