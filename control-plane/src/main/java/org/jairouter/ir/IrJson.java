package org.jairouter.ir;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jairouter.config.Instance;

/**
 * The router model as JSON, for people: what each golden case's {@code ir.json} shows. Only what the
 * model decides is printed (names, chains, gates, endpoints); the policies are the config's, and no
 * instance header (an API key among them) is.
 */
public final class IrJson {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private IrJson() {}

    public static String print(RouterIr ir) {
        Map<String, Object> services = new LinkedHashMap<>();
        ir.services().values().forEach(service -> {
            Map<String, Object> models = new LinkedHashMap<>();
            service.models().values().forEach(model -> models.put(model.name(), describe(model)));
            services.put(service.type().key(), models);
        });
        Map<String, Object> printed = new LinkedHashMap<>();
        printed.put("services", services);
        ir.services().values().stream()
                .flatMap(service -> service.responsesLookup().stream())
                .forEach(lookup -> printed.put("responses_lookup", describe(lookup)));
        if (!ir.discovering().isEmpty()) {
            printed.put(
                    "models_auto",
                    ir.discovering().stream().map(IrJson::describe).toList());
        }
        try {
            return JSON.writeValueAsString(printed) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("maps of strings always print", e);
        }
    }

    private static Map<String, Object> describe(ModelIr model) {
        Map<String, Object> described = new LinkedHashMap<>();
        described.put("cluster", model.cluster());
        described.put("routed_cluster", model.routedCluster());
        model.gate().ifPresent(gate -> described.put("gate", gate));
        model.lowPriorityGate().ifPresent(gate -> described.put("low_priority_gate", gate));
        if (model.hasFallbacks()) {
            described.put("fallback_chain", model.fallbackChain());
            described.put("chain_clusters", model.chainClusters());
        }
        if (model.inFallbackChain()) {
            described.put("in_fallback_chain", true);
        }
        if (model.gatesInChain() > 0) {
            described.put("gates_in_chain", model.gatesInChain());
        }
        described.put("endpoints", endpoints(model.instances()));
        if (!model.extraEndpoints().isEmpty()) {
            Map<String, Object> apis = new LinkedHashMap<>();
            // One path, or each instance's own (the cluster's upstream filter picks it).
            model.extraEndpoints()
                    .forEach((api, paths) -> apis.put(api.publicPath(), paths.size() == 1 ? paths.get(0) : paths));
            described.put("also_served_on", apis);
        }
        return described;
    }

    private static Map<String, Object> describe(ResponsesLookup lookup) {
        Map<String, Object> described = new LinkedHashMap<>();
        described.put("cluster", lookup.cluster());
        described.put("path", lookup.path());
        described.put(
                "endpoints",
                lookup.instances().stream()
                        .map(instance -> EndpointId.hostname(instance) + lookup.path())
                        .toList());
        return described;
    }

    /** A {@code models: auto} instance: where its server is asked, and the models it was made into. */
    private static Map<String, Object> describe(DiscoveringInstance auto) {
        Map<String, Object> described = new LinkedHashMap<>();
        described.put("service", auto.service().key());
        described.put("models_url", auto.modelsUrl().toString());
        described.put("active", auto.instance().active());
        described.put("models", auto.models().map(Object.class::cast).orElse("none until its server answers"));
        return described;
    }

    /** Each instance as Envoy reports it (its endpoint's hostname), with the path it is called on. */
    private static List<String> endpoints(List<Instance> instances) {
        return instances.stream()
                .map(instance -> EndpointId.hostname(instance) + instance.upstreamPath())
                .toList();
    }
}
