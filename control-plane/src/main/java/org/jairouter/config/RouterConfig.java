package org.jairouter.config;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * A validated router configuration: what the translator turns into Envoy resources. Services in enum order.
 *
 * @param upstreamCaFile the CA bundle that verifies https instances' certificates
 * @param monitoring     what Envoy reports about each request
 * @param apiKeys        the client keys; {@link ApiKeys#NONE} lets every client in
 */
public record RouterConfig(
        ListenerSettings listener,
        Map<ServiceType, ServiceConfig> services,
        String upstreamCaFile,
        Monitoring monitoring,
        ApiKeys apiKeys) {
    /** Debian's and Ubuntu's bundle, also in the official Envoy image. */
    public static final String DEFAULT_CA_FILE = "/etc/ssl/certs/ca-certificates.crt";

    public RouterConfig {
        // new EnumMap<>(Map.of()) throws: an empty map that is not an EnumMap carries no key type.
        Map<ServiceType, ServiceConfig> copy = new TreeMap<>();
        copy.putAll(services);
        services = Collections.unmodifiableMap(copy);
    }

    public RouterConfig(ListenerSettings listener, Map<ServiceType, ServiceConfig> services, String upstreamCaFile) {
        this(listener, services, upstreamCaFile, Monitoring.DEFAULT, ApiKeys.NONE);
    }

    /** This config with other client keys, such as its own as they stand at an instant. */
    public RouterConfig withApiKeys(ApiKeys keys) {
        return new RouterConfig(listener, services, upstreamCaFile, monitoring, keys);
    }

    /** This config with other services, such as its own with the models its servers listed. */
    public RouterConfig withServices(Map<ServiceType, ServiceConfig> others) {
        return new RouterConfig(listener, others, upstreamCaFile, monitoring, apiKeys);
    }

    public ServiceConfig service(ServiceType type) {
        return services.get(type);
    }
}
