package org.jairouter.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code model.services.<service>.fallback-models}: per model name, the models to use when it has no
 * healthy instance, e.g. {@code llama-70b: [llama-8b]}. Not JAiRouter's {@code fallback}, which sets
 * its degraded replies and stays ignored. Read once every service is known, since a fallback naming a
 * model of another service is reported as such.
 */
final class FallbackModelsReader {
    private FallbackModelsReader() {}

    static Map<String, List<String>> read(
            YamlSection section, ServiceConfig service, Map<ServiceType, ServiceConfig> services) {
        Set<String> known = new LinkedHashSet<>();
        // Only the models the config names: the servers' lists are not known when the config is read.
        service.instances().stream().filter(i -> !i.discovering()).forEach(i -> known.add(i.model()));
        Map<String, List<String>> fallbacks = new LinkedHashMap<>();
        Map<String, Map<String, YamlSection>> where = new LinkedHashMap<>();
        section.entries().forEach((model, list) -> {
            if (!known.contains(model)) {
                list.error("unknown model '" + model + "'; expected a model of service '"
                        + service.type().key() + "': " + String.join(", ", known));
                return;
            }
            List<String> targets = new ArrayList<>();
            Map<String, YamlSection> items = new LinkedHashMap<>();
            for (YamlSection item : list.items()) {
                item.text()
                        .filter(target -> isModelOf(item, target, service, known, services))
                        .ifPresent(target -> {
                            if (items.putIfAbsent(target, item) != null) {
                                item.error("'" + target + "' is listed twice");
                            } else {
                                targets.add(target);
                            }
                        });
            }
            fallbacks.put(model, targets);
            where.put(model, items);
        });
        reportCycles(fallbacks, where);
        return fallbacks;
    }

    private static boolean isModelOf(
            YamlSection item,
            String target,
            ServiceConfig service,
            Set<String> known,
            Map<ServiceType, ServiceConfig> services) {
        if (known.contains(target)) {
            return true;
        }
        Optional<ServiceType> other = services.values().stream()
                .filter(s -> s.instances().stream().anyMatch(i -> i.model().equals(target)))
                .map(ServiceConfig::type)
                .findFirst();
        item.error(other.map(type -> "'" + target + "' is a model of service '" + type.key() + "', not of '"
                        + service.type().key() + "'; a fallback must serve the same requests")
                .orElse("unknown model '" + target + "'; expected a model of service '"
                        + service.type().key() + "': " + String.join(", ", known)));
        return false;
    }

    /** A fallback that leads back to its model is reported where the loop closes, once per loop. */
    private static void reportCycles(Map<String, List<String>> fallbacks, Map<String, Map<String, YamlSection>> where) {
        Set<String> done = new LinkedHashSet<>();
        for (String model : fallbacks.keySet()) {
            visit(model, new ArrayList<>(), done, fallbacks, where);
        }
    }

    private static void visit(
            String model,
            List<String> path,
            Set<String> done,
            Map<String, List<String>> fallbacks,
            Map<String, Map<String, YamlSection>> where) {
        if (done.contains(model)) {
            return;
        }
        path.add(model);
        for (String next : List.copyOf(fallbacks.getOrDefault(model, List.of()))) {
            int loop = path.indexOf(next);
            if (loop >= 0) {
                where.get(model)
                        .get(next)
                        .error("fallback cycle: " + String.join(" -> ", path.subList(loop, path.size())) + " -> "
                                + next);
                fallbacks.get(model).remove(next);
            } else {
                visit(next, path, done, fallbacks, where);
            }
        }
        path.remove(path.size() - 1);
        done.add(model);
    }
}
