package org.jairouter.app;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.jairouter.config.Instance;
import org.jairouter.config.RouterConfig;
import org.jairouter.translate.ResolvedHosts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Looks up the base-url hosts before translation; a host that does not resolve gets no endpoint. */
final class HostResolver {
    private static final Logger LOG = LoggerFactory.getLogger(HostResolver.class);

    private HostResolver() {}

    /** IPv4 first, as Envoy's own DNS clusters prefer it: "localhost" may list ::1 before 127.0.0.1. */
    private static InetAddress preferIpv4(InetAddress[] addresses) {
        return Arrays.stream(addresses)
                .filter(a -> a instanceof Inet4Address)
                .findFirst()
                .orElse(addresses[0]);
    }

    static ResolvedHosts resolve(RouterConfig config) {
        Map<String, String> ipByHost = new HashMap<>();
        config.services().values().stream()
                .flatMap(service -> service.instances().stream())
                .map(Instance::host)
                .distinct()
                .forEach(host -> {
                    try {
                        ipByHost.put(
                                host, preferIpv4(InetAddress.getAllByName(host)).getHostAddress());
                    } catch (UnknownHostException e) {
                        LOG.warn("Host '{}' does not resolve; its instances get no traffic until it does", host);
                    }
                });
        return new ResolvedHosts(ipByHost);
    }
}
