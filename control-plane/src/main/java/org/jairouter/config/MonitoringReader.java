package org.jairouter.config;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads the {@code monitoring} section: JAiRouter's switch, and our access log. JAiRouter 2.8 also
 * keeps its Micrometer settings here, under {@code monitoring.metrics}: of those its {@code enabled}
 * switch counts (JAiRouter collects metrics only while both switches are on), the rest is named in one
 * warning. Our own keys stay checked, so a misspelt one is still an error with a hint.
 */
final class MonitoringReader implements SectionReader<Monitoring> {
    private static final Set<String> KEYS = Set.of("enabled", "access-log", "metrics");
    /** JAiRouter's own monitoring keys: its Micrometer tuning has no counterpart here. */
    private static final Set<String> IGNORED_KEYS = Set.of(
            "prefix",
            "collection-interval",
            "enabled-categories",
            "custom-tags",
            "sampling",
            "performance",
            "thresholds");

    @Override
    public String key() {
        return "monitoring";
    }

    @Override
    public Monitoring absent(YamlSection root) {
        return Monitoring.DEFAULT;
    }

    @Override
    public Monitoring read(YamlSection section) {
        Map<String, YamlSection> entries = section.entries(KEYS, IGNORED_KEYS);
        boolean enabled = Optional.ofNullable(entries.get("enabled"))
                .flatMap(YamlSection::bool)
                .orElse(Monitoring.DEFAULT.enabled());
        boolean metricsEnabled = Optional.ofNullable(entries.get("metrics"))
                .flatMap(MonitoringReader::metricsEnabled)
                .orElse(true);
        Optional<String> accessLog =
                Optional.ofNullable(entries.get("access-log")).flatMap(MonitoringReader::path);
        return new Monitoring(enabled && metricsEnabled, accessLog);
    }

    /** JAiRouter's {@code monitoring.metrics}: its switch, and one warning naming the keys left unread. */
    private static Optional<Boolean> metricsEnabled(YamlSection metrics) {
        Map<String, YamlSection> entries = metrics.entries();
        List<String> ignored =
                entries.keySet().stream().filter(k -> !k.equals("enabled")).toList();
        if (!ignored.isEmpty()) {
            metrics.warn("JAiRouter's Micrometer settings " + String.join(", ", ignored)
                    + " have no counterpart here (Envoy's request records make the metrics on /metrics); ignored");
        }
        return Optional.ofNullable(entries.get("enabled")).flatMap(YamlSection::bool);
    }

    /** {@code stdout}, {@code stderr}, {@code off} or an absolute file path. */
    private static Optional<String> path(YamlSection section) {
        return section.text().flatMap(text -> switch (text) {
            case "off" -> Optional.empty();
            case "stdout", "stderr" -> Optional.of("/dev/" + text);
            default -> {
                if (!text.startsWith("/")) {
                    section.error("expected stdout, stderr, off or an absolute file path, got '" + text + "'");
                    yield Optional.empty();
                }
                yield Optional.of(text);
            }
        });
    }
}
