package org.jairouter.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumSet;
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
                EnumSet.allOf(ServiceType.class),
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
}
