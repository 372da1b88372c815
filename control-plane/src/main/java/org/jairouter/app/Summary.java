package org.jairouter.app;

import java.util.stream.Collectors;
import org.jairouter.config.Instance;
import org.jairouter.config.ServiceConfig;
import org.jairouter.ir.RouterIr;
import org.jairouter.ir.ServiceIr;

/** A one-line description of a config for the log. */
final class Summary {
    private Summary() {}

    static String of(RouterIr ir) {
        String services = ir.services().values().stream().map(Summary::of).collect(Collectors.joining("; "));
        return "listener " + ir.config().listener().address() + ":"
                + ir.config().listener().port() + "; " + services;
    }

    private static String of(ServiceIr serviceIr) {
        ServiceConfig service = serviceIr.config();
        long active = service.instances().stream().filter(Instance::active).count();
        return service.type().key() + " " + service.loadBalancing().policy().key() + " "
                + serviceIr.models().size() + " model(s), " + active + " instance(s)"
                + (active < service.instances().size()
                        ? " + " + (service.instances().size() - active) + " inactive"
                        : "");
    }
}
