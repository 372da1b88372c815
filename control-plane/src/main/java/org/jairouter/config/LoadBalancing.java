package org.jairouter.config;

import java.time.Duration;
import java.util.Optional;

/**
 * A load-balancing setting.
 *
 * @param hashAlgorithm  the digest JAiRouter's ip-hash names (md5, sha256...); Envoy hashes with its own function
 * @param scrapeInterval how often {@code load-aware} reads each instance's metrics
 * @param session        keeps a session on one instance, with any policy
 * @param prefix         keeps requests whose prompts begin alike on one instance, with any policy; a session
 *                       header, when a request has one, decides first
 */
public record LoadBalancing(
        LoadBalancePolicy policy,
        String hashAlgorithm,
        Duration scrapeInterval,
        Optional<SessionAffinity> session,
        Optional<PrefixAffinity> prefix) {
    public static final Duration DEFAULT_SCRAPE_INTERVAL = Duration.ofSeconds(1);
    public static final LoadBalancing DEFAULT = new LoadBalancing(LoadBalancePolicy.RANDOM, "md5");

    public LoadBalancing(LoadBalancePolicy policy, String hashAlgorithm) {
        this(policy, hashAlgorithm, DEFAULT_SCRAPE_INTERVAL, Optional.empty(), Optional.empty());
    }

    /** Whether the cluster is a consistent-hash ring with bounded load that a request's key places it on. */
    public boolean affinityRing() {
        return session.isPresent() || prefix.isPresent();
    }

    /** The ring's balance factor: the session header's when there is one, else the prefix affinity's. */
    public int ringBalanceFactor() {
        return session.map(SessionAffinity::balanceFactor)
                .or(() -> prefix.map(PrefixAffinity::balanceFactor))
                .orElse(SessionAffinity.DEFAULT_BALANCE_FACTOR);
    }
}
