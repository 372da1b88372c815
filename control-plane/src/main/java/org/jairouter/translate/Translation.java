package org.jairouter.translate;

import java.util.Optional;
import org.jairouter.config.Instance;
import org.jairouter.config.RouterConfig;
import org.jairouter.config.ServiceType;

/**
 * A config and what the translator made of it: the Envoy resources, and the names it chose for them.
 * Whoever reads Envoy's view back (the status side) looks names up here and never derives them.
 *
 * @param config    the config that was translated
 * @param resources what Envoy is sent
 * @param clusters  the cluster of each (service, model) with an active instance
 */
public record Translation(RouterConfig config, EnvoyResources resources, ClusterNames clusters) {

    /** Where Envoy reports an instance: the endpoint with this hostname in this cluster. */
    public record EndpointId(String cluster, String hostname) {}

    /** The instance's endpoint; empty for an inactive instance, which Envoy is never sent. */
    public Optional<EndpointId> endpoint(ServiceType service, Instance instance) {
        if (!instance.active()) {
            return Optional.empty();
        }
        return clusters.of(service, instance.model())
                .map(cluster -> new EndpointId(cluster, ClusterTranslator.hostname(instance)));
    }
}
