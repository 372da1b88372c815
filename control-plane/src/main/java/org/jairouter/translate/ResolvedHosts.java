package org.jairouter.translate;

import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.jairouter.config.Instance;
import org.jairouter.config.RouterConfig;

/**
 * The IP address of each base-url host, looked up before translation so that the translator stays a
 * pure function (Envoy's EDS endpoints must be IP addresses).
 */
public record ResolvedHosts(Map<String, String> ipByHost) {
    public ResolvedHosts {
        ipByHost = Map.copyOf(ipByHost);
    }

    /** Every base-url host standing for itself: right for IP literals, and enough to translate without lookups. */
    public static ResolvedHosts asWritten(RouterConfig config) {
        return new ResolvedHosts(config.services().values().stream()
                .flatMap(service -> service.instances().stream())
                .map(Instance::host)
                .distinct()
                .collect(Collectors.toMap(Function.identity(), Function.identity())));
    }

    public Optional<String> ipOf(String host) {
        return Optional.ofNullable(ipByHost.get(host));
    }
}
