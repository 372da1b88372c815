package org.jairouter.budget;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
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

    @Override
    public synchronized void record(String keyId, long requests, long tokens) {
        rollOver();
        Used now = used.merge(keyId, new Used(requests, tokens, tokens), Used::plus);
        unsaved = true;
        // Called for every request: only this key's state can have changed, and only once a day.
        ApiKey key = budgeted.get(keyId);
        if (key != null && !spent.contains(keyId) && isSpent(key, now)) {
            changed();
        }
    }

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
            save();
            changed();
        }
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
        return isSpent(key, used.getOrDefault(key.id(), new Used(0, 0, 0)));
    }

    private static boolean isSpent(ApiKey key, Used today) {
        return key.dailyRequests() > 0 && today.requests() >= key.dailyRequests()
                || key.dailyTokens() > 0
                        && (today.tokens() >= key.dailyTokens()
                                || key.dailyTokens() - today.tokens() < today.largest());
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
