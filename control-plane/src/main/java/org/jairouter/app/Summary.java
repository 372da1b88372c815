package org.jairouter.app;

import java.util.stream.Collectors;
import org.jairouter.config.Instance;
import org.jairouter.config.RouterConfig;
import org.jairouter.config.ServiceConfig;

/** A one-line description of a config for the log. */
final class Summary {
    private Summary() {}

    static String of(RouterConfig config) {
        String services = config.services().values().stream().map(Summary::of).collect(Collectors.joining("; "));
        return "listener " + config.listener().address() + ":"
                + config.listener().port() + "; " + services;
    }

    private static String of(ServiceConfig service) {
        long active = service.instances().stream().filter(Instance::active).count();
        return service.type().key() + " " + service.loadBalancing().policy().key() + " "
                + service.activeInstancesByModel().size() + " model(s), " + active + " instance(s)"
                + (active < service.instances().size()
                        ? " + " + (service.instances().size() - active) + " inactive"
                        : "");
    }
}
