package org.jairouter.status;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jairouter.xds.EnvoyFleet;

/**
 * What is in force, as the Envoys see it: a config is in force once every connected Envoy has accepted
 * all of its resources. A config an Envoy rejects is shown as refused with Envoy's message, and the last
 * config they all accepted stays named as in force.
 */
final class ConfigReport {
    private ConfigReport() {}

    /** The {@code config} section of the status: in force, published (if not yet in force), last refused. */
    static Map<String, Object> of(ConfigStatus status, List<EnvoyFleet.Member> envoys) {
        List<ConfigStatus.Applied> published = status.published();
        Map<String, Object> config = new LinkedHashMap<>();
        Optional<ConfigStatus.Applied> inForce = published.stream()
                .filter(applied ->
                        !envoys.isEmpty() && envoys.stream().allMatch(e -> e.acceptedAll(applied.typeVersions())))
                .findFirst();
        config.put("in_force", inForce.orElse(null));
        Optional<ConfigStatus.Applied> latest = published.stream().findFirst();
        if (latest.isPresent() && !latest.equals(inForce)) {
            config.put("published", latest.get());
            config.put(
                    "published_state",
                    envoys.isEmpty()
                            ? "no Envoy connected"
                            : rejection(envoys, latest.get()).isPresent() ? "refused by Envoy" : "being applied");
        }
        config.put("last_refused", lastRefused(status, envoys, published).orElse(null));
        return config;
    }

    /** Per Envoy: who, since when, the newest config it accepted whole, and its last rejection. */
    static List<Map<String, Object>> envoys(ConfigStatus status, List<EnvoyFleet.Member> envoys) {
        List<ConfigStatus.Applied> published = status.published();
        List<Map<String, Object>> report = new ArrayList<>();
        for (EnvoyFleet.Member envoy : envoys) {
            Map<String, Object> member = new LinkedHashMap<>();
            member.put("node_id", envoy.nodeId());
            member.put("connected_at", envoy.connectedAt());
            member.put(
                    "accepted_version",
                    published.stream()
                            .filter(a -> envoy.acceptedAll(a.typeVersions()))
                            .map(ConfigStatus.Applied::version)
                            .findFirst()
                            .orElse(null));
            member.put("last_rejection", envoy.lastRejection());
            report.add(member);
        }
        return report;
    }

    /** The newer of the last validation refusal and the last Envoy rejection. */
    private static Optional<ConfigStatus.Refused> lastRefused(
            ConfigStatus status, List<EnvoyFleet.Member> envoys, List<ConfigStatus.Applied> published) {
        Optional<ConfigStatus.Refused> byEnvoy = envoys.stream()
                .filter(e -> e.lastRejection() != null)
                .max(java.util.Comparator.comparing(e -> e.lastRejection().at()))
                .map(e -> new ConfigStatus.Refused(
                        e.lastRejection().at(),
                        List.of("Envoy " + e.nodeId()
                                + " refused the " + e.lastRejection().resourceType() + " resources of config "
                                + versionAt(published, e.lastRejection()) + ": "
                                + e.lastRejection().message())));
        Optional<ConfigStatus.Refused> byValidation = status.lastRefused();
        if (byEnvoy.isEmpty()) {
            return byValidation;
        }
        if (byValidation.isEmpty()) {
            return byEnvoy;
        }
        return Optional.of(byEnvoy.get().at().isAfter(byValidation.get().at()) ? byEnvoy.get() : byValidation.get());
    }

    /** The config that was the newest published when Envoy rejected: the one it was sent. */
    private static String versionAt(List<ConfigStatus.Applied> published, EnvoyFleet.Rejection rejection) {
        return published.stream()
                .filter(a -> !a.at().isAfter(rejection.at()))
                .findFirst()
                .map(ConfigStatus.Applied::version)
                .orElse("(unknown)");
    }

    private static Optional<EnvoyFleet.Rejection> rejection(
            List<EnvoyFleet.Member> envoys, ConfigStatus.Applied applied) {
        return envoys.stream()
                .map(EnvoyFleet.Member::lastRejection)
                .filter(r -> r != null && !r.at().isBefore(applied.at()))
                .findFirst();
    }
}
