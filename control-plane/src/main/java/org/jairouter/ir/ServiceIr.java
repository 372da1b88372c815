package org.jairouter.ir;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.jairouter.config.Instance;
import org.jairouter.config.ServiceConfig;
import org.jairouter.config.ServiceType;

/**
 * One service: its config (policies and every instance, inactive ones too) and the models it serves.
 *
 * @param config the service as configured
 * @param models every model with an active instance, in order of first appearance in the config
 */
public record ServiceIr(ServiceConfig config, Map<String, ModelIr> models) {

    public ServiceIr {
        models = Collections.unmodifiableMap(new LinkedHashMap<>(models));
    }

    /** A gate's name is its model's cluster's with a suffix no model's cluster can have ('~' is never kept in one). */
    private static final String GATE_SUFFIX = "~gate";

    private static final String FALLBACK_SUFFIX = "~fallback";

    private static final String LOW_PRIORITY_SUFFIX = "~low-priority";

    /**
     * The service's models: their clusters named (each name claimed from {@code names}, shared by every
     * service), their fallback chains, and their gates. A model is entered through a gate when the service
     * caps each instance's concurrent requests and the model stands before the last of some chain: a full
     * model's refusal must be retried on the next model, and Envoy never retries its own overflow refusal.
     * Every capped model has a low-priority gate as well, where low-priority requests enter it.
     */
    static ServiceIr of(ServiceConfig service, ClusterNames names) {
        Map<String, List<Instance>> byModel = activeByModel(service.instances());
        Map<String, String> own = new LinkedHashMap<>();
        Map<String, List<String>> chains = new LinkedHashMap<>();
        byModel.keySet().forEach(model -> {
            own.put(model, names.claim(service.type(), model));
            chains.put(model, FallbackChains.of(model, service.fallbackModels(), byModel.keySet()));
        });
        boolean capped = service.circuitBreaker().maxConcurrentRequests() > 0;
        Set<String> gated = new TreeSet<>();
        if (capped) {
            chains.values().forEach(chain -> gated.addAll(chain.subList(0, chain.size() - 1)));
        }
        Map<String, ModelIr> models = new LinkedHashMap<>();
        byModel.forEach((model, instances) -> {
            List<String> chain = chains.get(model);
            boolean withFallbacks = chain.size() > 1;
            String last = chain.get(chain.size() - 1);
            List<Instance> chainInstances = withFallbacks
                    ? chain.stream().flatMap(m -> byModel.get(m).stream()).toList()
                    : instances;
            int gatesInChain = capped ? chain.size() - 1 : 0;
            models.put(
                    model,
                    new ModelIr(
                            model,
                            own.get(model),
                            withFallbacks ? own.get(model) + FALLBACK_SUFFIX : own.get(model),
                            gated.contains(model) ? Optional.of(own.get(model) + GATE_SUFFIX) : Optional.empty(),
                            capped ? Optional.of(own.get(model) + LOW_PRIORITY_SUFFIX) : Optional.empty(),
                            chain,
                            withFallbacks
                                    ? chain.stream()
                                            .map(m -> own.get(m)
                                                    + (gated.contains(m) && !m.equals(last) ? GATE_SUFFIX : ""))
                                            .toList()
                                    : List.of(),
                            instances,
                            chainInstances,
                            FallbackChains.inAnyChain(model, service.fallbackModels()),
                            gatesInChain,
                            ExtraEndpoints.of(service.type(), chainInstances, gatesInChain)));
        });
        return new ServiceIr(service, models);
    }

    private static Map<String, List<Instance>> activeByModel(List<Instance> instances) {
        Map<String, List<Instance>> byModel = new LinkedHashMap<>();
        for (Instance instance : instances) {
            if (instance.active()) {
                byModel.computeIfAbsent(instance.model(), m -> new ArrayList<>())
                        .add(instance);
            }
        }
        return byModel;
    }

    public ServiceType type() {
        return config.type();
    }

    public Optional<ModelIr> model(String name) {
        return Optional.ofNullable(models.get(name));
    }

    /** The models entered through a saturation gate, by name: gates are made in this order. */
    public List<ModelIr> gatedModels() {
        return models.values().stream()
                .filter(model -> model.gate().isPresent())
                .sorted(Comparator.comparing(ModelIr::name))
                .toList();
    }

    /** The models entered at low priority through a gate of their own, by name: those gates are made in this order. */
    public List<ModelIr> lowPriorityGatedModels() {
        return models.values().stream()
                .filter(model -> model.lowPriorityGate().isPresent())
                .sorted(Comparator.comparing(ModelIr::name))
                .toList();
    }

    /** Where requests naming a stored response by id go; empty unless some model is served on the Responses API. */
    public Optional<ResponsesLookup> responsesLookup() {
        return ResponsesLookup.of(this);
    }

    /** The instance's endpoint; empty for an inactive instance, which Envoy is never sent. */
    public Optional<EndpointId> endpoint(Instance instance) {
        return instance.active() ? model(instance.model()).map(model -> model.endpoint(instance)) : Optional.empty();
    }
}
