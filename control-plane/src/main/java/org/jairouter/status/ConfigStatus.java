package org.jairouter.status;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Which config is in force and the last edit that was refused, for the status output. */
public final class ConfigStatus {
    /** A config Envoy was given. */
    public record Applied(String version, String source, Instant at, String changes) {
    }

    /** An edit that was not applied; the config in force stayed. */
    public record Refused(Instant at, List<String> problems) {
    }

    private volatile Applied applied;
    private volatile Refused lastRefused;

    public void applied(String version, String source, String changes) {
        applied = new Applied(version, source, Instant.now(), changes);
    }

    public void refused(List<String> problems) {
        lastRefused = new Refused(Instant.now(), List.copyOf(problems));
    }

    @JsonProperty("in_force")
    public Optional<Applied> applied() {
        return Optional.ofNullable(applied);
    }

    @JsonProperty("last_refused")
    public Optional<Refused> lastRefused() {
        return Optional.ofNullable(lastRefused);
    }
}
