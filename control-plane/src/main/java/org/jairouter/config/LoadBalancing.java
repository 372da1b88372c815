package org.jairouter.config;

import java.time.Duration;
import java.util.Optional;

/**
 * A load-balancing setting.
 *
 * @param hashAlgorithm  the digest JAiRouter's ip-hash names (md5, sha256...); Envoy hashes with its own function
 * @param scrapeInterval how often {@code load-aware} reads each instance's metrics
 * @param session        keeps a session on one instance, with any policy
 */
public record LoadBalancing(
        LoadBalancePolicy policy, String hashAlgorithm, Duration scrapeInterval, Optional<SessionAffinity> session) {
    public static final Duration DEFAULT_SCRAPE_INTERVAL = Duration.ofSeconds(1);
    public static final LoadBalancing DEFAULT = new LoadBalancing(LoadBalancePolicy.RANDOM, "md5");

    public LoadBalancing(LoadBalancePolicy policy, String hashAlgorithm) {
        this(policy, hashAlgorithm, DEFAULT_SCRAPE_INTERVAL, Optional.empty());
    }
}
