package org.jairouter.config;

import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/** {@code model.services}: one entry per service type, under any of its names. */
final class ServicesReader {
    private ServicesReader() {}

    /**
     * @param modelLoadBalancing {@code model.load-balance}, the default when the services do not set one
     * @param defaults           the model-wide settings, given the load-balancing every service inherits
     */
    static Map<ServiceType, ServiceConfig> read(
            YamlSection services, LoadBalancing modelLoadBalancing, Function<LoadBalancing, ServiceSettings> defaults) {
        Map<String, YamlSection> serviceEntries = services.entries();
        // JAiRouter's README puts the global default beside the services; later versions under model.
        // Service keys have their own aliases (imgGen); only this one key is spelt two ways here.
        YamlSection servicesLoadBalance = serviceEntries.remove("load-balance");
        YamlSection camelCaseLoadBalance = serviceEntries.remove("loadBalance");
        LoadBalancing loadBalancing = Optional.ofNullable(servicesLoadBalance)
                .or(() -> Optional.ofNullable(camelCaseLoadBalance))
                .map(lb -> LoadBalanceReader.read(lb, modelLoadBalancing))
                .orElse(modelLoadBalancing);
        ServiceSettings globalDefault = defaults.apply(loadBalancing);
        Map<ServiceType, ServiceConfig> configs = new TreeMap<>();
        Map<ServiceType, YamlSection> fallbackModels = new TreeMap<>();
        CustomServiceReader customs = new CustomServiceReader();
        serviceEntries.forEach((key, section) -> {
            Optional<ServiceType> type = ServiceType.fromKey(key);
            if (type.isEmpty() && section.hasKey("path")) {
                ServiceReader.readCustom(key, section, globalDefault, customs).ifPresent(read -> {
                    configs.put(read.config().type(), read.config());
                    read.fallbackModels()
                            .ifPresent(f -> fallbackModels.put(read.config().type(), f));
                });
            } else if (type.isEmpty()) {
                Set<String> known = new HashSet<>(ServiceType.keys());
                known.add("load-balance");
                section.error("unknown service"
                        + YamlSection.closest(key, known)
                                .map(k -> "; did you mean '" + k + "'?")
                                .orElse("; expected one of " + String.join(", ", ServiceType.keys()))
                        + " (a custom service gives its own 'path')");
            } else if (configs.containsKey(type.get())) {
                section.error("service '" + type.get().key() + "' is configured twice (under two of its names)");
            } else {
                ServiceReader.Read read = ServiceReader.read(type.get(), section, globalDefault);
                configs.put(type.get(), read.config());
                read.fallbackModels().ifPresent(f -> fallbackModels.put(type.get(), f));
            }
        });
        // A fallback's instance is sent the requested model's request with the body's 'model' rewritten.
        fallbackModels.entrySet().removeIf(fallback -> {
            ModelSource source = fallback.getKey().modelSource();
            if (!source.isModelField()) {
                fallback.getValue()
                        .error("fallback-models rewrites the body's 'model' field for the fallback model; this"
                                + " service reads its model from " + source);
            }
            return !source.isModelField();
        });
        fallbackModels.forEach((type, section) -> configs.put(
                type,
                configs.get(type).withFallbackModels(FallbackModelsReader.read(section, configs.get(type), configs))));
        if (serviceEntries.isEmpty()) {
            services.error("no services configured; expected at least one of " + String.join(", ", ServiceType.keys()));
        }
        return configs;
    }
}
