package org.jairouter.config;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Client API keys ({@code jairouter.security.api-key}). When enforced, every request to the router's
 * port needs one of the keys, in {@code headerName} or as {@code Authorization: Bearer}.
 *
 * @param enforced   JAiRouter's {@code jairouter.security.enabled} and {@code api-key.enabled} both true
 * @param headerName the header JAiRouter reads the key from
 * @param spent      ids of keys whose daily budget is spent: not config, but the ledger's word, set
 *                   when the router translates
 */
public record ApiKeys(boolean enforced, String headerName, List<ApiKey> keys, Set<String> spent) {
    public static final String DEFAULT_HEADER = "X-API-Key";
    public static final ApiKeys NONE = new ApiKeys(false, DEFAULT_HEADER, List.of(), Set.of());

    public ApiKeys {
        keys = List.copyOf(keys);
        spent = Set.copyOf(spent);
    }

    /** These keys as Envoy is sent them at an instant: the expired ones left out, the spent ones marked. */
    public ApiKeys at(Instant now, Set<String> spentToday) {
        return new ApiKeys(
                enforced,
                headerName,
                keys.stream().filter(key -> key.usableAt(now)).toList(),
                spentToday);
    }

    /** The keys Envoy is sent: the enabled ones (expired ones are left out by {@link #at}). */
    public List<ApiKey> accepted() {
        return keys.stream().filter(ApiKey::enabled).toList();
    }

    /** The first expiry after an instant, when the keys Envoy accepts change by themselves. */
    public Optional<Instant> nextExpiryAfter(Instant now) {
        return keys.stream()
                .filter(ApiKey::enabled)
                .flatMap(key -> key.expiresAt().stream())
                .filter(now::isBefore)
                .min(Instant::compareTo);
    }

    public Optional<ApiKey> byId(String id) {
        return keys.stream().filter(key -> key.id().equals(id)).findFirst();
    }
}
