package org.jairouter.config;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One client API key of {@code jairouter.security.api-key.keys}. Its value is a {@link Secret}; the id
 * is what logs, status, metrics and Envoy's client name show.
 *
 * @param services         the services it may call (JAiRouter's permissions)
 * @param models           the models it may call; empty means every model of its services
 * @param allowedAddresses client addresses or CIDR ranges it may be used from; empty means any
 * @param ratePerMinute    requests per minute, 0 for no limit
 * @param dailyRequests    requests per day over the fleet, 0 for no limit
 * @param dailyTokens      tokens per day over the fleet, 0 for no limit
 * @param lowPriority      its requests are batch work: on a model at its max-concurrent-requests they are
 *                         refused first, within the share the model leaves them (docs/keys-and-budgets.md)
 */
public record ApiKey(
        String id,
        Secret value,
        Set<ServiceType> services,
        Set<String> models,
        Optional<Instant> expiresAt,
        boolean enabled,
        List<String> allowedAddresses,
        int ratePerMinute,
        long dailyRequests,
        long dailyTokens,
        boolean lowPriority) {

    public ApiKey {
        services = Set.copyOf(services);
        models = Set.copyOf(models);
        allowedAddresses = List.copyOf(allowedAddresses);
    }

    /** Enabled and not expired at this instant: Envoy accepts it. */
    public boolean usableAt(Instant now) {
        return enabled && expiresAt.map(now::isBefore).orElse(true);
    }

    /** A key of this id that may call nothing: what an id the config does not know is taken for. */
    public static ApiKey permittingNothing(String id) {
        return new ApiKey(id, new Secret(""), Set.of(), Set.of(), Optional.empty(), false, List.of(), 0, 0, 0, false);
    }

    public boolean mayUse(ServiceType service, String model) {
        return services.contains(service) && (models.isEmpty() || models.contains(model));
    }
}
