package org.jairouter.usage;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jairouter.config.ApiKey;
import org.jairouter.config.Instance;
import org.jairouter.config.ServiceType;
import org.jairouter.ir.EndpointId;
import org.jairouter.ir.ModelIr;
import org.jairouter.ir.RouterIr;
import org.jairouter.ir.ServiceIr;

/**
 * Label values of the config in force, looked up by what Envoy reports: its cluster name gives service and
 * model, the chosen endpoint's hostname gives the instance, the key id Envoy authenticated gives the key.
 * Nothing a client sent can become a label value.
 */
final class MetricLabels {
    /** The labels of one model. {@code operation} is the OpenTelemetry gen_ai operation name. */
    record Model(String service, String operation, String model) {}

    private final Map<String, Model> byCluster = new HashMap<>();
    /** cluster -> extra endpoint key -> the labels of the model's requests on that API (its operation). */
    private final Map<String, Map<String, Model>> extraByCluster = new HashMap<>();
    /** cluster -> endpoint hostname -> instance: nested, so a look-up per record builds no key. */
    private final Map<String, Map<String, String>> instanceByClusterAndHost = new HashMap<>();
    /**
     * The instances each model's own cluster was named from: a cluster with the same instances next time
     * keeps its map of hostnames (never changed once made), so an edit builds maps only for the models it
     * touched.
     */
    private final Map<String, List<Instance>> instancesByCluster = new HashMap<>();

    private final Set<String> keyIds = new HashSet<>();
    private final Set<String> lowPriorityGates = new HashSet<>();

    /**
     * The labels of a router: the cluster and endpoint names are the ones its model chose. {@code previous},
     * the labels of the router before, lends the maps of clusters it had unchanged.
     */
    MetricLabels(RouterIr ir, MetricLabels previous) {
        for (ServiceIr service : ir.services().values()) {
            for (ModelIr model : service.models().values()) {
                Model labels = new Model(service.type().key(), operation(service.type()), model.name());
                byCluster.put(model.cluster(), labels);
                Map<String, Model> byEndpoint = new HashMap<>();
                model.extraEndpoints()
                        .keySet()
                        .forEach(endpoint -> byEndpoint.put(
                                endpoint.key(), new Model(labels.service(), endpoint.operation(), model.name())));
                if (!byEndpoint.isEmpty()) {
                    extraByCluster.put(model.cluster(), byEndpoint);
                    extraByCluster.put(model.routedCluster(), byEndpoint);
                }
                instancesByCluster.put(model.cluster(), model.instances());
                instanceByClusterAndHost.put(model.cluster(), instancesByHost(model, previous));
                // Envoy reports a fallback chain's requests under its aggregate: the requested model, and
                // the instance of whichever model served.
                if (model.hasFallbacks()) {
                    byCluster.putIfAbsent(model.routedCluster(), labels);
                    model.chainInstances()
                            .forEach(instance -> name(model.routedCluster(), EndpointId.hostname(instance), instance));
                }
                // A low-priority request's under the model's low-priority gate, with the instance the gate
                // reported, of any model of the chain.
                model.lowPriorityGate().ifPresent(gate -> {
                    lowPriorityGates.add(gate);
                    byCluster.put(gate, labels);
                    if (!byEndpoint.isEmpty()) {
                        extraByCluster.put(gate, byEndpoint);
                    }
                    model.chainInstances().forEach(instance -> name(gate, EndpointId.hostname(instance), instance));
                });
            }
        }
        if (ir.config().apiKeys().enforced()) {
            ir.config().apiKeys().keys().stream().map(ApiKey::id).forEach(keyIds::add);
        }
    }

    /** A model's own cluster's instances by endpoint hostname (its instances are all this cluster's endpoints). */
    private static Map<String, String> instancesByHost(ModelIr model, MetricLabels previous) {
        if (model.instances().equals(previous.instancesByCluster.get(model.cluster()))) {
            return previous.instanceByClusterAndHost.get(model.cluster());
        }
        // Two instances on one host:port in one model are one endpoint to Envoy: the first names it.
        Map<String, String> byHost = new HashMap<>();
        model.instances().forEach(instance -> byHost.putIfAbsent(EndpointId.hostname(instance), instance.baseUrl()));
        return byHost;
    }

    private void name(String cluster, String hostname, Instance instance) {
        instanceByClusterAndHost
                .computeIfAbsent(cluster, c -> new HashMap<>())
                .putIfAbsent(hostname, instance.baseUrl());
    }

    private MetricLabels() {}

    static MetricLabels empty() {
        return new MetricLabels();
    }

    Optional<Model> model(String cluster) {
        return Optional.ofNullable(byCluster.get(cluster));
    }

    /**
     * The labels of a request to the cluster on the route it took: the route's name starts with the key of
     * the API it serves ({@code completions:qwen}), which gives the operation.
     */
    Optional<Model> model(String cluster, String route) {
        Map<String, Model> byEndpoint = extraByCluster.get(cluster);
        int colon = route.indexOf(':');
        if (byEndpoint != null && colon > 0) {
            Model onEndpoint = byEndpoint.get(route.substring(0, colon));
            if (onEndpoint != null) {
                return Optional.of(onEndpoint);
            }
        }
        return model(cluster);
    }

    /**
     * The instance's base-url (the config refuses credentials in one), or "" when no instance was chosen or
     * the host is not (or no longer) configured.
     */
    String instance(String cluster, String host) {
        return instanceByClusterAndHost.getOrDefault(cluster, Map.of()).getOrDefault(host, "");
    }

    /**
     * The host of the instance that served a record's request as Envoy names it, or "" when none did.
     * Behind a low-priority gate Envoy's upstream is the gate, which reports its instance ({@code
     * gatedInstance}); a request the gate refused has none.
     */
    String servingHost(RequestRecord record) {
        return lowPriorityGates.contains(record.cluster()) ? record.gatedInstance() : record.instance();
    }

    /** The id of a key in the config in force, or "" for none (keys off, or the request was not authenticated). */
    String keyId(String id) {
        return keyIds.contains(id) ? id : "";
    }

    /** OpenTelemetry's gen_ai.operation.name where one exists, else the service key (a custom service's name). */
    private static String operation(ServiceType type) {
        if (type == ServiceType.CHAT) {
            return "chat";
        }
        return type == ServiceType.EMBEDDING ? "embeddings" : type.key();
    }
}
