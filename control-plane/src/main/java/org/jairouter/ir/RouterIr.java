package org.jairouter.ir;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import org.jairouter.config.ApiKeys;
import org.jairouter.config.Instance;
import org.jairouter.config.RouterConfig;
import org.jairouter.config.ServiceConfig;
import org.jairouter.config.ServiceType;

/**
 * The router's model: the validated config, and per service the models it serves as Envoy is to carry
 * them. Made once per config by {@link #of}; what the translator, the status, the metrics and the load
 * scraper read.
 *
 * @param config   the config: the router-wide settings (listener, monitoring, client keys, CA file)
 * @param services every configured service, in enum order
 */
public record RouterIr(RouterConfig config, Map<ServiceType, ServiceIr> services) {

    public RouterIr {
        Map<ServiceType, ServiceIr> copy = new EnumMap<>(ServiceType.class);
        copy.putAll(services);
        services = Collections.unmodifiableMap(copy);
    }

    public static RouterIr of(RouterConfig config) {
        ClusterNames names = new ClusterNames();
        Map<ServiceType, ServiceIr> services = new EnumMap<>(ServiceType.class);
        for (ServiceConfig service : config.services().values()) {
            services.put(service.type(), ServiceIr.of(service, names));
        }
        return new RouterIr(config, services);
    }

    /** The same router with the client keys as they stand at a given instant (expired and spent ones marked). */
    public RouterIr withKeys(ApiKeys keys) {
        return new RouterIr(config.withApiKeys(keys), services);
    }

    public Optional<ServiceIr> service(ServiceType type) {
        return Optional.ofNullable(services.get(type));
    }

    /** The instance's endpoint; empty for an inactive instance, which Envoy is never sent. */
    public Optional<EndpointId> endpoint(ServiceType type, Instance instance) {
        return service(type).flatMap(service -> service.endpoint(instance));
    }
}
