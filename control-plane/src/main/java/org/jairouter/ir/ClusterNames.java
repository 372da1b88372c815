package org.jairouter.ir;

import java.util.HashSet;
import java.util.Set;
import org.jairouter.config.ServiceType;

/**
 * Names one Envoy cluster per (service, model). Model names may hold characters that Envoy's stats
 * rewrite (':' in "qwen3:1.7B"), so names keep only safe characters; clashes after that get a suffix,
 * claimed in config order so that the same config always gives the same names.
 */
final class ClusterNames {
    private final Set<String> taken = new HashSet<>();

    String claim(ServiceType service, String model) {
        String base = service.key() + "~" + model.replaceAll("[^A-Za-z0-9_-]", "_");
        String name = base;
        for (int n = 2; !taken.add(name); n++) {
            name = base + "~" + n;
        }
        return name;
    }
}
