package org.jairouter.translate;

import java.util.Map;
import java.util.Optional;

/**
 * The IP address of each base-url host, looked up before translation so that the translator stays a
 * pure function (Envoy's EDS endpoints must be IP addresses).
 */
public record ResolvedHosts(Map<String, String> ipByHost) {
    public ResolvedHosts {
        ipByHost = Map.copyOf(ipByHost);
    }

    public Optional<String> ipOf(String host) {
        return Optional.ofNullable(ipByHost.get(host));
    }
}
