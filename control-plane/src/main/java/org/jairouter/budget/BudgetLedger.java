package org.jairouter.budget;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.jairouter.config.ApiKey;
import org.jairouter.config.ApiKeys;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Requests and tokens per key for the current UTC day, written to a file in the work dir by {@link #flush}
 * (so a restarted control plane counts on), and forgotten when the day changes. When a record
 * makes a key spent, the listener hears the new set of spent keys at once.
 *
 * <p>A key with a token budget is spent once its remaining tokens are fewer than the largest request it
 * made today: a request is counted only when it ends, and everything Envoy admits until the refusal
 * reaches it runs to its end, so waiting for the budget itself to be crossed overshoots by at least the
 * request that crosses it. The largest request is the only estimate of the next one the ledger has.
 *
 * <p>Requests in flight count too: Envoy logs each upstream stream of a keyed request as it starts ({@link
 * #started}), and each may still use as much as the largest request, so a key is refused while what remains
 * is less than that for each of them and one more; it is admitted again when they end having used less. A
 * request's end takes off as many starts as it had streams (a retry is another). Starts and ends are paired
 * by order, not by name: an end that arrives before its start (the two travel in different batches)
 * cancels the next start, and a start whose end never comes (its Envoy died) is forgotten after {@link
 * #LONGEST_REQUEST}. A try that failed before its stream was established has no start, so its end cancels
 * a later start: an undercount, which admits rather than refuses.
 */
public final class BudgetLedger implements KeyUsage {
    private static final Logger LOG = LoggerFactory.getLogger(BudgetLedger.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path file;
    private final Clock clock;
    private final Consumer<Set<String>> onSpentChange;
    private ApiKeys keys = ApiKeys.NONE;
    /** The keys in force with a daily budget, by id. */
    private Map<String, ApiKey> budgeted = Map.of();

    private LocalDate day;
    private Map<String, Used> used = new TreeMap<>();
    private Set<String> spent = Set.of();
    /** Counts changed since the file was written. */
    private boolean unsaved;
    /** Per budgeted key, when each of its requests in flight started, oldest first. */
    private final Map<String, Deque<Instant>> inFlight = new HashMap<>();
    /** Per budgeted key, ends whose start has not arrived yet, oldest first. */
    private final Map<String, Deque<Instant>> endsAhead = new HashMap<>();

    /** After this, a start without an end is taken for a request whose end was lost. */
    static final Duration LONGEST_REQUEST = Duration.ofMinutes(15);
    /** An end waits this long for its start; a start that late is for another request. */
    private static final Duration START_LATENESS = Duration.ofSeconds(10);

    /**
     * What one key used on one day.
     *
     * @param largest the most tokens one record of the key carried (0 in files written before it was kept)
     */
    public record Used(long requests, long tokens, long largest) {
        Used plus(Used more) {
            return new Used(requests + more.requests, tokens + more.tokens, Math.max(largest, more.largest));
        }
    }

    /** The file's day and counts, as written. */
    private record Saved(String day, Map<String, Used> used) {}

    private BudgetLedger(Path file, Clock clock, Consumer<Set<String>> onSpentChange) {
        this.file = file;
        this.clock = clock;
        this.onSpentChange = onSpentChange;
    }

    /**
     * The ledger kept in this file; what it holds for today counts on.
     *
     * @param onSpentChange hears the new set of spent key ids, called with the ledger locked: it must
     *                      hand the work to another thread
     */
    public static BudgetLedger open(Path file, Clock clock, Consumer<Set<String>> onSpentChange) {
        BudgetLedger ledger = new BudgetLedger(file, clock, onSpentChange);
        ledger.day = ledger.today();
        if (Files.exists(file)) {
            try {
                Saved saved = JSON.readValue(file.toFile(), new TypeReference<Saved>() {});
                if (ledger.day.toString().equals(saved.day())) {
                    ledger.used = new TreeMap<>(saved.used());
                }
            } catch (IOException e) {
                LOG.warn("Budget ledger {} is unreadable; today's counts start from zero: {}", file, e.getMessage());
            }
        }
        return ledger;
    }

    /** The keys in force, with their limits; returns those spent today. */
    public synchronized Set<String> limits(ApiKeys inForce) {
        keys = inForce;
        budgeted = inForce.keys().stream()
                .filter(key -> key.dailyRequests() > 0 || key.dailyTokens() > 0)
                .collect(Collectors.toUnmodifiableMap(ApiKey::id, key -> key, (first, duplicate) -> first));
        rollOver();
        spent = computeSpent();
        return spent;
    }

    /** Requests that ended having taken one upstream stream each. */
    public void record(String keyId, long requests, long tokens) {
        record(keyId, requests, tokens, requests);
    }

    @Override
    public synchronized void record(String keyId, long requests, long tokens, long streams) {
        rollOver();
        used.merge(keyId, new Used(requests, tokens, tokens), Used::plus);
        unsaved = true;
        ApiKey key = budgeted.get(keyId);
        if (key != null) {
            Instant now = clock.instant();
            for (long ended = 0; ended < streams; ended++) {
                if (current(inFlight, keyId, now.minus(LONGEST_REQUEST)).pollFirst() == null) {
                    endsAhead.computeIfAbsent(keyId, id -> new ArrayDeque<>()).addLast(now);
                }
            }
            recheck(key);
        }
    }

    @Override
    public synchronized void started(String keyId) {
        ApiKey key = budgeted.get(keyId);
        if (key == null) {
            return;
        }
        Instant now = clock.instant();
        if (current(endsAhead, keyId, now.minus(START_LATENESS)).pollFirst() == null) {
            inFlight.computeIfAbsent(keyId, id -> new ArrayDeque<>()).addLast(now);
        }
        recheck(key);
    }

    /** Per budgeted key, its requests in flight now. */
    public synchronized Map<String, Integer> inFlight() {
        Instant oldest = clock.instant().minus(LONGEST_REQUEST);
        Map<String, Integer> counts = new TreeMap<>();
        budgeted.keySet()
                .forEach(id -> counts.put(id, current(inFlight, id, oldest).size()));
        return counts;
    }

    /** Called for every request: only this key's state can have changed. */
    private void recheck(ApiKey key) {
        if (spent.contains(key.id()) != isSpent(key)) {
            changed();
        }
    }

    /** The key's times in {@code times}, without those before {@code oldest}. */
    private static Deque<Instant> current(Map<String, Deque<Instant>> times, String keyId, Instant oldest) {
        Deque<Instant> kept = times.getOrDefault(keyId, EMPTY);
        while (!kept.isEmpty() && kept.peekFirst().isBefore(oldest)) {
            kept.pollFirst();
        }
        return kept;
    }

    private static final Deque<Instant> EMPTY = new ArrayDeque<>(0);

    /**
     * Writes the counts if they changed. Not done per record, which would cost a file write per request:
     * the router calls it every second and on close, so a killed control plane forgets at most a second.
     */
    public synchronized void flush() {
        if (!unsaved) {
            return;
        }
        try {
            save();
        } catch (UncheckedIOException e) {
            LOG.warn("{}; will try again: {}", e.getMessage(), e.getCause().toString());
        }
    }

    /** Starts a new day if the date changed; the router calls it at midnight UTC too. */
    public synchronized void rollOver() {
        if (!today().equals(day)) {
            day = today();
            used = new TreeMap<>();
            // Requests in flight at midnight count on the new day: Envoy admitted them.
            save();
            changed();
        }
    }

    /** What each key used today and, for budgeted keys, its requests in flight now. */
    public record Books(Map<String, Used> usedToday, Map<String, Integer> inFlight) {
        public static final Books NONE = new Books(Map.of(), Map.of());
    }

    public synchronized Books books() {
        return new Books(usedToday(), inFlight());
    }

    public synchronized Map<String, Used> usedToday() {
        rollOver();
        return Map.copyOf(used);
    }

    private void changed() {
        Set<String> now = computeSpent();
        if (!now.equals(spent)) {
            spent = now;
            onSpentChange.accept(now);
        }
    }

    private Set<String> computeSpent() {
        return keys.keys().stream().filter(this::isSpent).map(ApiKey::id).collect(Collectors.toUnmodifiableSet());
    }

    private boolean isSpent(ApiKey key) {
        int running = current(inFlight, key.id(), clock.instant().minus(LONGEST_REQUEST))
                .size();
        return isSpent(key, used.getOrDefault(key.id(), new Used(0, 0, 0)), running);
    }

    /** Whether what remains today no longer covers the requests in flight and one more. */
    private static boolean isSpent(ApiKey key, Used today, int running) {
        return key.dailyRequests() > 0 && today.requests() + running >= key.dailyRequests()
                || key.dailyTokens() > 0
                        && (today.tokens() >= key.dailyTokens()
                                || key.dailyTokens() - today.tokens() < (running + 1) * today.largest());
    }

    private LocalDate today() {
        return LocalDate.now(clock.withZone(ZoneOffset.UTC));
    }

    /** Written beside and renamed over, so a crash never leaves half a file. */
    private void save() {
        try {
            Path next = file.resolveSibling(file.getFileName() + ".tmp");
            JSON.writeValue(next.toFile(), new Saved(day.toString(), used));
            Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            unsaved = false;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the budget ledger " + file, e);
        }
    }
}
