package org.jairouter.config;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * {@code model}: the services and their instances, the model-wide defaults each service inherits, and
 * the CA bundle for https instances.
 */
final class ModelReader implements SectionReader<ModelReader.Model> {
    private static final Set<String> KEYS = keys();
    /** JAiRouter keys that are valid but not acted on yet: accepted with a warning. */
    private static final Set<String> IGNORED_KEYS = Set.of("adapter-definitions", "pools", "rules");

    private static Set<String> keys() {
        Set<String> keys = new HashSet<>(ServiceSettings.keys());
        keys.addAll(List.of("services", "tls", "fallback"));
        return Set.copyOf(keys);
    }

    /** What the model section configures. */
    record Model(Map<ServiceType, ServiceConfig> services, String upstreamCaFile) {}

    @Override
    public String key() {
        return "model";
    }

    @Override
    public Model absent(YamlSection root) {
        root.error("missing key 'model'; expected model.services with at least one service");
        return new Model(Map.of(), RouterConfig.DEFAULT_CA_FILE);
    }

    @Override
    public Model read(YamlSection model) {
        Map<String, YamlSection> entries = model.entries(KEYS, IGNORED_KEYS);
        Optional.ofNullable(entries.get("fallback")).ifPresent(FallbackReader::read);
        String caFile = Optional.ofNullable(entries.get("tls"))
                .flatMap(TlsReader::caFile)
                .orElse(RouterConfig.DEFAULT_CA_FILE);
        LoadBalancing loadBalancing = ServiceSettings.LOAD_BALANCE.readFrom(entries, LoadBalancing.DEFAULT);
        YamlSection services = entries.get("services");
        if (services == null) {
            model.error("missing key 'services'; expected at least one of " + String.join(", ", ServiceType.keys()));
            return new Model(Map.of(), caFile);
        }
        // The others only after the services' own load-balance key (problems keep the order they have always
        // had); the services' load-balance, or else this one, replaces this one's in what they inherit.
        Map<String, YamlSection> others = new HashMap<>(entries);
        others.remove(ServiceSettings.LOAD_BALANCE.key());
        Function<LoadBalancing, ServiceSettings> defaults = servicesLoadBalancing ->
                ServiceSettings.DEFAULTS.readOver(others).with(ServiceSettings.LOAD_BALANCE, servicesLoadBalancing);
        return new Model(ServicesReader.read(services, loadBalancing, defaults), caFile);
    }
}
