package org.jairouter.config;

/**
 * A load-balancing setting.
 *
 * @param hashAlgorithm the digest JAiRouter's ip-hash names (md5, sha256...); Envoy hashes with its own function
 */
public record LoadBalancing(LoadBalancePolicy policy, String hashAlgorithm) {
    public static final LoadBalancing DEFAULT = new LoadBalancing(LoadBalancePolicy.RANDOM, "md5");
}
