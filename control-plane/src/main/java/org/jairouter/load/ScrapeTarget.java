package org.jairouter.load;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jairouter.config.Instance;
import org.jairouter.config.LoadBalancePolicy;
import org.jairouter.ir.EndpointId;
import org.jairouter.ir.RouterIr;
import org.jairouter.ir.ServiceIr;

/**
 * One instance of a load-aware service whose server publishes its load: where to read it, and its
 * endpoint.
 *
 * @param caBundle for an https instance, the CA bundle Envoy verifies it with (model.tls.ca-file)
 */
record ScrapeTarget(EndpointId endpoint, URI metrics, MetricNames names, Optional<Path> caBundle) {

    /** Every target of the router: active instances of load-aware services with a known metrics endpoint. */
    static List<ScrapeTarget> of(RouterIr ir) {
        List<ScrapeTarget> targets = new ArrayList<>();
        for (ServiceIr service : ir.services().values()) {
            if (service.config().loadBalancing().policy() != LoadBalancePolicy.LOAD_AWARE) {
                continue;
            }
            for (Instance instance : service.config().instances()) {
                MetricNames.of(instance.adapter())
                        .ifPresent(names -> service.endpoint(instance)
                                .ifPresent(endpoint -> targets.add(new ScrapeTarget(
                                        endpoint,
                                        URI.create((instance.tls() ? "https://" : "http://")
                                                + instance.authority()
                                                + names.path()),
                                        names,
                                        instance.tls()
                                                ? Optional.of(
                                                        Path.of(ir.config().upstreamCaFile()))
                                                : Optional.empty()))));
            }
        }
        return targets.stream().distinct().toList();
    }
}
