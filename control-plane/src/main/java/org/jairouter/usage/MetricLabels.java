package org.jairouter.usage;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jairouter.config.ApiKey;
import org.jairouter.config.Instance;
import org.jairouter.config.ServiceConfig;
import org.jairouter.config.ServiceType;
import org.jairouter.translate.Translation;

/**
 * Label values of the config in force, looked up by what Envoy reports: its cluster name gives service and
 * model, the chosen endpoint's hostname gives the instance, the key id Envoy authenticated gives the key.
 * Nothing a client sent can become a label value.
 */
final class MetricLabels {
    /** The labels of one model. {@code operation} is the OpenTelemetry gen_ai operation name. */
    record Model(String service, String operation, String model) {}

    private final Map<String, Model> byCluster = new HashMap<>();
    /** cluster -> endpoint hostname -> instance: nested, so a look-up per record builds no key. */
    private final Map<String, Map<String, String>> instanceByClusterAndHost = new HashMap<>();
    /**
     * The instances each model's own cluster was named from: a cluster with the same instances next time
     * keeps its map of hostnames (never changed once made), so an edit builds maps only for the models it
     * touched.
     */
    private final Map<String, List<Instance>> instancesByCluster = new HashMap<>();

    private final Set<String> keyIds = new HashSet<>();

    /**
     * The labels of a translation: the cluster and endpoint names are the ones the translator chose.
     * {@code previous}, the labels of the translation before, lends the maps of clusters it had unchanged.
     */
    MetricLabels(Translation translation, MetricLabels previous) {
        for (ServiceConfig service : translation.config().services().values()) {
            Map<String, List<Instance>> byModel = service.activeInstancesByModel();
            for (Map.Entry<String, List<Instance>> model : byModel.entrySet()) {
                Model labels = new Model(service.type().key(), operation(service.type()), model.getKey());
                Optional<String> own = translation.clusters().of(service.type(), model.getKey());
                own.ifPresent(cluster -> {
                    byCluster.put(cluster, labels);
                    instancesByCluster.put(cluster, model.getValue());
                    instanceByClusterAndHost.put(
                            cluster, instancesByHost(cluster, service.type(), model.getValue(), translation, previous));
                });
                // Envoy reports a fallback chain's requests under its aggregate: the requested model, and
                // the instance of whichever model served. A model without fallbacks is routed to its own
                // cluster, whose labels are in already.
                translation
                        .clusters()
                        .routed(service.type(), model.getKey())
                        .filter(routed -> !own.equals(Optional.of(routed)))
                        .ifPresent(routed -> {
                            byCluster.putIfAbsent(routed, labels);
                            service.fallbackChain(model.getKey()).stream()
                                    .flatMap(m -> byModel.get(m).stream())
                                    .forEach(instance -> translation
                                            .endpoint(service.type(), instance)
                                            .ifPresent(id -> name(routed, id.hostname(), instance)));
                        });
            }
        }
        if (translation.config().apiKeys().enforced()) {
            translation.config().apiKeys().keys().stream().map(ApiKey::id).forEach(keyIds::add);
        }
    }

    /** A model's own cluster's instances by endpoint hostname (its instances are all this cluster's endpoints). */
    private static Map<String, String> instancesByHost(
            String cluster,
            ServiceType type,
            List<Instance> instances,
            Translation translation,
            MetricLabels previous) {
        if (instances.equals(previous.instancesByCluster.get(cluster))) {
            return previous.instanceByClusterAndHost.get(cluster);
        }
        // Two instances on one host:port in one model are one endpoint to Envoy: the first names it.
        Map<String, String> byHost = new HashMap<>();
        instances.forEach(instance -> translation
                .endpoint(type, instance)
                .ifPresent(id -> byHost.putIfAbsent(id.hostname(), instance.baseUrl())));
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
     * The instance's base-url (the config refuses credentials in one), or "" when no instance was chosen or
     * the host is not (or no longer) configured.
     */
    String instance(String cluster, String host) {
        return instanceByClusterAndHost.getOrDefault(cluster, Map.of()).getOrDefault(host, "");
    }

    /** The id of a key in the config in force, or "" for none (keys off, or the request was not authenticated). */
    String keyId(String id) {
        return keyIds.contains(id) ? id : "";
    }

    /** OpenTelemetry's gen_ai.operation.name where one exists, else the service key. */
    private static String operation(ServiceType type) {
        return switch (type) {
            case CHAT -> "chat";
            case EMBEDDING -> "embeddings";
            default -> type.key();
        };
    }
}
