package org.jairouter.status;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The configs published to the Envoys and the last edit that was refused, for the status output. What
 * is in force is decided with the Envoys' acknowledgements (see {@link ConfigReport}).
 */
public final class ConfigStatus {
    /** Published configs remembered, newest last: enough to name the last one every Envoy accepted. */
    private static final int REMEMBERED = 32;

    /**
     * A config sent to the Envoys.
     *
     * @param typeVersions the version of each resource type (by type URL) that an Envoy acknowledges
     */
    public record Applied(
            String version,
            String source,
            Instant at,
            String changes,
            @JsonIgnore Map<String, String> typeVersions) {}

    /** An edit that was not applied; the config in force stayed. */
    public record Refused(Instant at, List<String> problems) {}

    private final List<Applied> published = new ArrayList<>();
    private volatile Refused lastRefused;

    /** {@code at}: when the config was handed to the Envoys, so that an answer that came back at once counts. */
    public synchronized void applied(
            String version, String source, Instant at, String changes, Map<String, String> typeVersions) {
        published.add(new Applied(version, source, at, changes, Map.copyOf(typeVersions)));
        if (published.size() > REMEMBERED) {
            published.remove(0);
        }
    }

    /**
     * The config last published was sent again with new endpoint weights (load-aware): the same config,
     * so the same version and changes, under new type versions. The entry with the previous weights is
     * kept until then, so the config stays in force while Envoy acknowledges the new weights.
     */
    public synchronized void reweighted(Map<String, String> typeVersions) {
        Applied latest = published.get(published.size() - 1);
        published.removeIf(applied -> applied != latest && applied.version().equals(latest.version()));
        published.add(new Applied(
                latest.version(), latest.source(), latest.at(), latest.changes(), Map.copyOf(typeVersions)));
    }

    public void refused(List<String> problems) {
        lastRefused = new Refused(Instant.now(), List.copyOf(problems));
    }

    /** The config last published (sent to the Envoys), accepted or not. */
    public synchronized Optional<Applied> applied() {
        return published.isEmpty() ? Optional.empty() : Optional.of(published.get(published.size() - 1));
    }

    /** The configs published, newest first. */
    public synchronized List<Applied> published() {
        List<Applied> newestFirst = new ArrayList<>(published);
        java.util.Collections.reverse(newestFirst);
        return newestFirst;
    }

    /** The last edit refused by validation (Envoy's own rejections are kept by the xDS fleet). */
    public Optional<Refused> lastRefused() {
        return Optional.ofNullable(lastRefused);
    }
}
