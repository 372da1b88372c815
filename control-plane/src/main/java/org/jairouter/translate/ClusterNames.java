package org.jairouter.translate;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jairouter.config.RouterConfig;
import org.jairouter.config.ServiceConfig;
import org.jairouter.config.ServiceType;

/**
 * Names one Envoy cluster per (service, model). Model names may hold characters that Envoy's stats
 * rewrite (':' in "qwen3:1.7B"), so names keep only safe characters; clashes after that get a suffix,
 * assigned in config order so that the same config always gives the same names. A model with
 * fallbacks also gets an aggregate cluster over its chain, named after its own with a suffix no model
 * cluster can have ('~' never survives in a model's part of a name).
 */
public final class ClusterNames {
    private static final String FALLBACK_SUFFIX = "~fallback";
    private static final String GATE_SUFFIX = "~gate";
    private final Map<ServiceType, Map<String, String>> names = new LinkedHashMap<>();
    private final Map<ServiceType, ServiceConfig> services = new LinkedHashMap<>();

    ClusterNames(RouterConfig config) {
        Set<String> taken = new HashSet<>();
        for (ServiceConfig service : config.services().values()) {
            Map<String, String> byModel = new LinkedHashMap<>();
            for (String model : service.activeInstancesByModel().keySet()) {
                String base = service.type().key() + "~" + model.replaceAll("[^A-Za-z0-9_-]", "_");
                String name = base;
                for (int n = 2; !taken.add(name); n++) {
                    name = base + "~" + n;
                }
                byModel.put(model, name);
            }
            names.put(service.type(), byModel);
            services.put(service.type(), service);
        }
    }

    /** The cluster of a (service, model); empty when the model has no active instance in that service. */
    public Optional<String> of(ServiceType service, String model) {
        return Optional.ofNullable(names.getOrDefault(service, Map.of()).get(model));
    }

    /**
     * The cluster (and internal listener) through which a full model's requests can move on to its
     * fallback ({@link SaturationGates}); empty as for {@link #of}.
     */
    public Optional<String> gate(ServiceType service, String model) {
        return of(service, model).map(own -> own + GATE_SUFFIX);
    }

    /**
     * The cluster requests for the model are routed to: its aggregate over its fallback chain when it
     * has fallbacks with active instances, else its own; empty as for {@link #of}.
     */
    public Optional<String> routed(ServiceType service, String model) {
        return of(service, model)
                .map(own -> services.get(service).fallbackChain(model).size() > 1 ? own + FALLBACK_SUFFIX : own);
    }
}
