package org.jairouter.load;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jairouter.config.Instance;
import org.jairouter.config.LoadBalancePolicy;
import org.jairouter.config.ServiceConfig;
import org.jairouter.translate.Translation;

/**
 * One instance of a load-aware service whose server publishes its load: where to read it, and its
 * endpoint.
 *
 * @param caBundle for an https instance, the CA bundle Envoy verifies it with (model.tls.ca-file)
 */
record ScrapeTarget(Translation.EndpointId endpoint, URI metrics, MetricNames names, Optional<Path> caBundle) {

    /** Every target of the translation: active instances of load-aware services with a known metrics endpoint. */
    static List<ScrapeTarget> of(Translation translation) {
        List<ScrapeTarget> targets = new ArrayList<>();
        for (ServiceConfig service : translation.config().services().values()) {
            if (service.loadBalancing().policy() != LoadBalancePolicy.LOAD_AWARE) {
                continue;
            }
            for (Instance instance : service.instances()) {
                MetricNames.of(instance.adapter())
                        .ifPresent(names -> translation
                                .endpoint(service.type(), instance)
                                .ifPresent(endpoint -> targets.add(new ScrapeTarget(
                                        endpoint,
                                        URI.create((instance.tls() ? "https://" : "http://")
                                                + instance.authority()
                                                + names.path()),
                                        names,
                                        instance.tls()
                                                ? Optional.of(Path.of(
                                                        translation.config().upstreamCaFile()))
                                                : Optional.empty()))));
            }
        }
        return targets.stream().distinct().toList();
    }
}
