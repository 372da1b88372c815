package org.jairouter.config;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** A {@code load-balance} section, model-wide or per service; each key it leaves out keeps the inherited value. */
final class LoadBalanceReader {
    private static final Set<String> KEYS =
            Set.of("type", "hash-algorithm", "scrape-interval", "session-header", "session-balance-factor", "affinity");
    /** The values of {@code affinity}: what the ring is keyed on when a request has no session header. */
    private static final String PREFIX = "prefix";

    private static final String NONE = "none";
    /**
     * The digests JAiRouter's ip-hash accepts (its validator: md5, sha1, sha256; its console also offers
     * murmur) and their usual spellings. Envoy's ring hashes with xxHash whichever is named.
     */
    private static final Set<String> HASH_ALGORITHMS = Set.of("md5", "sha1", "sha-1", "sha256", "sha-256", "murmur");

    private LoadBalanceReader() {}

    static LoadBalancing read(YamlSection section, LoadBalancing inherited) {
        Map<String, YamlSection> entries = section.entries(KEYS, Set.of());
        LoadBalancePolicy policy = Optional.ofNullable(entries.get("type"))
                .flatMap(type -> type.text().flatMap(name -> {
                    Optional<LoadBalancePolicy> known = LoadBalancePolicy.fromKey(name.toLowerCase(Locale.ROOT));
                    if (known.isEmpty()) {
                        type.error("unknown load-balance type '" + name + "'; expected one of "
                                + String.join(", ", LoadBalancePolicy.keys()));
                    }
                    return known;
                }))
                .orElse(inherited.policy());
        String hashAlgorithm = Optional.ofNullable(entries.get("hash-algorithm"))
                .flatMap(LoadBalanceReader::readHashAlgorithm)
                .orElse(inherited.hashAlgorithm());
        Duration scrapeInterval = Optional.ofNullable(entries.get("scrape-interval"))
                .flatMap(HealthCheckReader::readDuration)
                .orElse(inherited.scrapeInterval());
        int factor = Optional.ofNullable(entries.get("session-balance-factor"))
                .flatMap(f -> f.integer(100, 10_000))
                .or(() -> inherited.session().map(SessionAffinity::balanceFactor))
                .or(() -> inherited.prefix().map(PrefixAffinity::balanceFactor))
                .orElse(SessionAffinity.DEFAULT_BALANCE_FACTOR);
        return new LoadBalancing(
                policy,
                hashAlgorithm,
                scrapeInterval,
                session(entries, inherited.session(), factor),
                prefix(entries, inherited.prefix(), factor));
    }

    /** {@code affinity: prefix} or {@code none} here replaces the inherited choice; a balance factor alone keeps it. */
    private static Optional<PrefixAffinity> prefix(
            Map<String, YamlSection> entries, Optional<PrefixAffinity> inherited, int factor) {
        boolean on = Optional.ofNullable(entries.get("affinity"))
                .flatMap(affinity -> affinity.text().flatMap(value -> {
                    String name = value.toLowerCase(Locale.ROOT);
                    if (name.equals(PREFIX) || name.equals(NONE)) {
                        return Optional.of(name.equals(PREFIX));
                    }
                    affinity.error("unknown affinity '" + value + "'; expected " + PREFIX + " or " + NONE);
                    return Optional.empty();
                }))
                .orElse(inherited.isPresent());
        return on ? Optional.of(new PrefixAffinity(factor)) : Optional.empty();
    }

    /** A session header given here replaces the inherited one; a balance factor alone keeps the inherited header. */
    private static Optional<SessionAffinity> session(
            Map<String, YamlSection> entries, Optional<SessionAffinity> inherited, int factor) {
        Optional<String> header = Optional.ofNullable(entries.get("session-header"))
                .flatMap(YamlSection::text)
                .map(name -> name.toLowerCase(Locale.ROOT))
                .or(() -> inherited.map(SessionAffinity::header));
        return header.map(name -> new SessionAffinity(name, factor));
    }

    private static Optional<String> readHashAlgorithm(YamlSection section) {
        return section.text().filter(name -> {
            if (HASH_ALGORITHMS.contains(name.toLowerCase(Locale.ROOT))) {
                return true;
            }
            section.error("unknown hash-algorithm '" + name + "'; expected one of md5, sha1, sha256, murmur");
            return false;
        });
    }
}
