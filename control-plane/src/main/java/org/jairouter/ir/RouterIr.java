package org.jairouter.ir;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.jairouter.config.ApiKeys;
import org.jairouter.config.Instance;
import org.jairouter.config.RouterConfig;
import org.jairouter.config.ServiceConfig;
import org.jairouter.config.ServiceType;

/**
 * The router's model: the validated config, and per service the models it serves as Envoy is to carry
 * them. Made once per config and per change of the servers' model lists by {@link #of}; what the translator,
 * the status, the metrics and the load scraper read.
 *
 * @param config      the config with every {@code models: auto} instance replaced by one instance per model
 *                    its server listed: the router-wide settings (listener, monitoring, client keys, CA file)
 *                    and every instance, so that discovered models are seen exactly as configured ones
 * @param services    every configured service, in enum order
 * @param discovering every {@code models: auto} instance, active or not, with the models it serves now
 */
public record RouterIr(
        RouterConfig config, Map<ServiceType, ServiceIr> services, List<DiscoveringInstance> discovering) {

    public RouterIr {
        Map<ServiceType, ServiceIr> copy = new TreeMap<>();
        copy.putAll(services);
        services = Collections.unmodifiableMap(copy);
        discovering = List.copyOf(discovering);
    }

    /** The router of a config whose {@code models: auto} instances serve nothing yet (or that has none). */
    public static RouterIr of(RouterConfig config) {
        return of(config, DiscoveredModels.NONE);
    }

    /**
     * The router of a config and of what the servers of its {@code models: auto} instances listed: each such
     * instance becomes one instance per listed model, in its place in the config, unless the config already
     * names that model on that instance.
     */
    public static RouterIr of(RouterConfig config, DiscoveredModels discovered) {
        List<DiscoveringInstance> discovering = new ArrayList<>();
        Map<ServiceType, ServiceConfig> expanded = new TreeMap<>();
        for (ServiceConfig service : config.services().values()) {
            expanded.put(service.type(), expand(service, discovered, discovering));
        }
        RouterConfig served = discovering.isEmpty() ? config : config.withServices(expanded);
        ClusterNames names = new ClusterNames();
        Map<ServiceType, ServiceIr> services = new TreeMap<>();
        for (ServiceConfig service : served.services().values()) {
            services.put(service.type(), ServiceIr.of(service, names));
        }
        return new RouterIr(served, services, discovering);
    }

    /** Whether any service limits the wait for a stream's first token: its streams' answers are read for it. */
    public boolean waitsForFirstTokens() {
        return services.values().stream()
                .anyMatch(service -> service.config().firstTokenTimeout().isPresent());
    }

    private static ServiceConfig expand(
            ServiceConfig service, DiscoveredModels discovered, List<DiscoveringInstance> discovering) {
        if (service.instances().stream().noneMatch(Instance::discovering)) {
            return service;
        }
        Set<Served> named = new HashSet<>();
        service.instances().stream()
                .filter(i -> !i.discovering())
                .map(Served::by)
                .forEach(named::add);
        List<Instance> instances = new ArrayList<>();
        for (Instance instance : service.instances()) {
            if (!instance.discovering()) {
                instances.add(instance);
                continue;
            }
            DiscoveringInstance auto = DiscoveringInstance.of(service.type(), instance, discovered);
            discovering.add(auto);
            auto.models().orElse(List.of()).stream()
                    .map(instance::serving)
                    .filter(listed -> !named.contains(Served.by(listed)))
                    .forEach(instances::add);
        }
        return service.withInstances(instances);
    }

    /** A model at a place: where the config names a listed model itself, its instance (weight, headers) stands. */
    private record Served(String model, String host, int port, String path) {
        static Served by(Instance instance) {
            return new Served(instance.model(), instance.host(), instance.port(), instance.upstreamPath());
        }
    }

    /** The same router with the client keys as they stand at a given instant (expired and spent ones marked). */
    public RouterIr withKeys(ApiKeys keys) {
        return new RouterIr(config.withApiKeys(keys), services, discovering);
    }

    public Optional<ServiceIr> service(ServiceType type) {
        return Optional.ofNullable(services.get(type));
    }

    /** The instance's endpoint; empty for an inactive instance, which Envoy is never sent. */
    public Optional<EndpointId> endpoint(ServiceType type, Instance instance) {
        return service(type).flatMap(service -> service.endpoint(instance));
    }
}
