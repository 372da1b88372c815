package org.jairouter.config;

import java.time.Duration;

/**
 * A load-balancing setting.
 *
 * @param hashAlgorithm  the digest JAiRouter's ip-hash names (md5, sha256...); Envoy hashes with its own function
 * @param scrapeInterval how often {@code load-aware} reads each instance's metrics
 */
public record LoadBalancing(LoadBalancePolicy policy, String hashAlgorithm, Duration scrapeInterval) {
    public static final Duration DEFAULT_SCRAPE_INTERVAL = Duration.ofSeconds(1);
    public static final LoadBalancing DEFAULT = new LoadBalancing(LoadBalancePolicy.RANDOM, "md5");

    public LoadBalancing(LoadBalancePolicy policy, String hashAlgorithm) {
        this(policy, hashAlgorithm, DEFAULT_SCRAPE_INTERVAL);
    }
}
