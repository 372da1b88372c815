package org.jairouter.app;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.jairouter.config.Instance;
import org.jairouter.config.RouterConfig;
import org.jairouter.config.ServiceConfig;
import org.jairouter.translate.ResolvedHosts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Looks up the base-url hosts before translation; a host that does not resolve gets no endpoint. */
final class HostResolver {
    private static final Logger LOG = LoggerFactory.getLogger(HostResolver.class);

    private HostResolver() {}

    /** IPv4 first, as Envoy's own DNS clusters prefer it: "localhost" may list ::1 before 127.0.0.1. */
    private static InetAddress preferIpv4(InetAddress[] addresses) {
        for (InetAddress address : addresses) {
            if (address instanceof Inet4Address) {
                return address;
            }
        }
        return addresses[0];
    }

    /**
     * Every host name looked up again (an IP literal seen before is not parsed again). When each resolves
     * as in {@code previous} (null before the first config), that very object is returned: at 10,000
     * instances an equal copy of its map on every edit was memory that outlived the edit for nothing.
     */
    static ResolvedHosts resolve(RouterConfig config, ResolvedHosts previous) {
        Map<String, String> ipByHost = new HashMap<>();
        Set<String> unresolved = new HashSet<>();
        for (ServiceConfig service : config.services().values()) {
            for (Instance instance : service.instances()) {
                String host = instance.host();
                if (ipByHost.containsKey(host) || unresolved.contains(host)) {
                    continue;
                }
                if (previous != null && host.equals(previous.ipByHost().get(host))) {
                    // Resolved to its own text: an IPv4 literal, which no lookup can change.
                    ipByHost.put(host, host);
                    continue;
                }
                try {
                    ipByHost.put(
                            host, preferIpv4(InetAddress.getAllByName(host)).getHostAddress());
                } catch (UnknownHostException e) {
                    unresolved.add(host);
                    LOG.warn("Host '{}' does not resolve; its instances get no traffic until it does", host);
                }
            }
        }
        if (previous != null && previous.ipByHost().equals(ipByHost)) {
            return previous;
        }
        return new ResolvedHosts(ipByHost);
    }
}
