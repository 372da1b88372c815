package org.jairouter.config;

import java.util.Optional;

/**
 * What Envoy reports about each request.
 *
 * @param enabled       Envoy sends one record per request to the control plane, which turns them into the
 *                      metrics on /metrics (JAiRouter's {@code monitoring.enabled})
 * @param accessLogPath where Envoy also writes each record as a JSON line ({@code /dev/stdout} or a file);
 *                      empty for none
 */
public record Monitoring(boolean enabled, Optional<String> accessLogPath) {
    public static final Monitoring DEFAULT = new Monitoring(true, Optional.empty());

    /** Whether Envoy writes request records anywhere, and so whether reading token usage is of use. */
    public boolean recordsRequests() {
        return enabled || accessLogPath.isPresent();
    }
}
