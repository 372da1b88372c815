package org.jairouter.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/** What changed between two configs, in words an operator reads in one log line. */
public final class ConfigDiff {
    private ConfigDiff() {}

    public static List<String> between(RouterConfig before, RouterConfig after) {
        List<String> changes = new ArrayList<>();
        if (!before.listener().equals(after.listener())) {
            changes.add("listener " + before.listener() + " -> " + after.listener());
        }
        Set<ServiceType> types = new TreeSet<>(before.services().keySet());
        types.addAll(after.services().keySet());
        for (ServiceType type : types) {
            ServiceConfig old = before.service(type);
            ServiceConfig now = after.service(type);
            if (old == null && now != null) {
                changes.add("+service " + type.key());
            } else if (old != null && now == null) {
                changes.add("-service " + type.key());
            }
            if (old != null
                    && now != null
                    && old.loadBalancing().policy() != now.loadBalancing().policy()) {
                changes.add(
                        type.key() + " policy " + old.loadBalancing().policy().key() + " -> "
                                + now.loadBalancing().policy().key());
            }
            if (old != null && now != null && !old.fallbackModels().equals(now.fallbackModels())) {
                changes.add(type.key() + " fallback-models " + new TreeMap<>(old.fallbackModels()) + " -> "
                        + new TreeMap<>(now.fallbackModels()));
            }
            compareInstances(type, old, now, changes);
        }
        compareKeys(before.apiKeys(), after.apiKeys(), changes);
        return changes;
    }

    private static void compareInstances(ServiceType type, ServiceConfig old, ServiceConfig now, List<String> changes) {
        if (old != null && now != null && sameObjects(old.instances(), now.instances())) {
            // The loader hands back the same instance for unchanged text: most services of an edit.
            return;
        }
        Map<String, Instance> before = byIdentity(old);
        Map<String, Instance> after = byIdentity(now);
        before.forEach((id, instance) -> {
            Instance updated = after.get(id);
            if (updated == null) {
                changes.add("-" + type.key() + " " + id);
            } else if (updated.weight() != instance.weight()) {
                changes.add(type.key() + " " + id + " weight " + instance.weight() + " -> " + updated.weight());
            }
            if (updated != null && updated.active() != instance.active()) {
                changes.add(type.key() + " " + id + (updated.active() ? " active" : " inactive"));
            }
        });
        after.keySet().stream()
                .filter(id -> !before.containsKey(id))
                .forEach(id -> changes.add("+" + type.key() + " " + id));
    }

    private static boolean sameObjects(List<Instance> before, List<Instance> after) {
        if (before.size() != after.size()) {
            return false;
        }
        for (int i = 0; i < before.size(); i++) {
            if (before.get(i) != after.get(i)) {
                return false;
            }
        }
        return true;
    }

    /** Client keys by id only: a key's value never reaches a log line. */
    private static void compareKeys(ApiKeys before, ApiKeys after, List<String> changes) {
        if (before.enforced() != after.enforced()) {
            changes.add(after.enforced() ? "client keys enforced" : "client keys no longer enforced");
        }
        before.keys()
                .forEach(key -> after.byId(key.id())
                        .ifPresentOrElse(
                                updated -> {
                                    if (!updated.equals(key)) {
                                        changes.add("key " + key.id() + " changed");
                                    }
                                },
                                () -> changes.add("-key " + key.id())));
        after.keys().stream()
                .filter(key -> before.byId(key.id()).isEmpty())
                .forEach(key -> changes.add("+key " + key.id()));
    }

    /** Instances keyed by model and where they are served, the identity the config loader keeps unique. */
    private static Map<String, Instance> byIdentity(ServiceConfig service) {
        Map<String, Instance> instances = new LinkedHashMap<>();
        if (service != null) {
            for (Instance instance : service.instances()) {
                instances.put(
                        instance.modelAsWritten() + "@" + instance.authority() + instance.upstreamPath(), instance);
            }
        }
        return instances;
    }

    /** The changes as one line, or a note that nothing Envoy sees changed. */
    public static String describe(List<String> changes) {
        return changes.isEmpty() ? "no change to services or instances" : String.join(", ", changes);
    }
}
