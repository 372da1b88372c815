package org.jairouter.config;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/** A validated router configuration: what the translator turns into Envoy resources. Services in enum order. */
public record RouterConfig(ListenerSettings listener, Map<ServiceType, ServiceConfig> services) {
    public RouterConfig {
        services = Collections.unmodifiableMap(new EnumMap<>(services));
    }

    public ServiceConfig service(ServiceType type) {
        return services.get(type);
    }
}
