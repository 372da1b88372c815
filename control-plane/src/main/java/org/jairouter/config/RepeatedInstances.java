package org.jairouter.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A service's instances, where the same model at the same endpoint may be listed more than once, as
 * JAiRouter's own default services file does. JAiRouter keeps every list entry and balances over the
 * entries (ModelServiceRegistry → LoadBalancer), so a backend listed twice gets the share of both:
 * here it is one instance whose weight is the sum of its entries' weights, with a warning. The first
 * entry's other settings (headers, status) are the ones used.
 */
final class RepeatedInstances {
    private final Map<Served, Integer> positions = new HashMap<>();
    private final List<Instance> instances = new ArrayList<>();

    void add(Instance instance, YamlSection item) {
        // By endpoint, not by base-url text: http://h, http://h:80 and http://h/ are one backend.
        Integer position = positions.putIfAbsent(Served.by(instance), instances.size());
        if (position == null) {
            instances.add(instance);
            return;
        }
        item.memo().readAsWritten();
        Instance first = instances.get(position);
        int weight = (int) Math.min((long) first.weight() + instance.weight(), InstanceReader.MAX_WEIGHT);
        String what = instance.discovering() ? "'models: auto'" : "model '" + instance.model() + "'";
        item.warn(what + " at " + instance.baseUrl() + " is listed again; as in JAiRouter,"
                + " which balances over both entries, it gets both shares: weight " + first.weight() + " + "
                + instance.weight() + " = " + weight + " (this entry's other settings are not used)");
        instances.set(position, first.withWeight(weight));
    }

    List<Instance> instances() {
        return instances;
    }

    /**
     * Model and endpoint as the Host header names it, a port only when it is not the scheme's default
     * ({@link Instance#authority()} without building its text: at 10,000 instances every edit checks them all).
     */
    private record Served(String model, String host, int port, String path) {
        static Served by(Instance instance) {
            boolean defaultPort = instance.port() == (instance.tls() ? 443 : 80);
            return new Served(
                    instance.modelAsWritten(),
                    instance.host(),
                    defaultPort ? 0 : instance.port(),
                    instance.upstreamPath());
        }
    }
}
