package org.jairouter.config;

import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Reads the {@code monitoring} section: JAiRouter's switch, and our access log. */
final class MonitoringReader implements SectionReader<Monitoring> {
    private static final Set<String> KEYS = Set.of("enabled", "access-log");
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
        Optional<String> accessLog =
                Optional.ofNullable(entries.get("access-log")).flatMap(MonitoringReader::path);
        return new Monitoring(enabled, accessLog);
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
