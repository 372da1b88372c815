package org.jairouter.config;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Client API keys ({@code jairouter.security.api-key}). When enforced, every request to the router's
 * port needs one of the keys, in {@code headerName} or as {@code Authorization: Bearer}.
 *
 * @param enforced   JAiRouter's {@code jairouter.security.enabled} and {@code api-key.enabled} both true
 * @param headerName the header JAiRouter reads the key from
 */
public record ApiKeys(boolean enforced, String headerName, List<ApiKey> keys) {
    public static final String DEFAULT_HEADER = "X-API-Key";
    public static final ApiKeys NONE = new ApiKeys(false, DEFAULT_HEADER, List.of());

    public ApiKeys {
        keys = List.copyOf(keys);
    }

    /** These keys as Envoy is sent them at an instant: the disabled and expired ones left out. */
    public ApiKeys usableAt(Instant now) {
        return new ApiKeys(enforced, headerName, keys.stream().filter(key -> key.usableAt(now)).toList());
    }

    /** The keys Envoy is sent: the enabled ones (expired ones are left out by {@link #usableAt}). */
    public List<ApiKey> accepted() {
        return keys.stream().filter(ApiKey::enabled).toList();
    }

    /** The first expiry after an instant, when the keys Envoy accepts change by themselves. */
    public Optional<Instant> nextExpiryAfter(Instant now) {
        return keys.stream().filter(ApiKey::enabled).flatMap(key -> key.expiresAt().stream())
                .filter(now::isBefore).min(Instant::compareTo);
    }

    public Optional<ApiKey> byId(String id) {
        return keys.stream().filter(key -> key.id().equals(id)).findFirst();
    }
}
