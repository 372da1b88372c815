package org.jairouter.ir;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A service's {@code fallback-models} (validated: known models, no cycle) read as chains. */
final class FallbackChains {
    private FallbackChains() {}

    /**
     * The models that serve requests for {@code model}, in order: the model itself, then its fallbacks,
     * each followed by its own (depth first, each model once). Only models with an active instance count.
     */
    static List<String> of(String model, Map<String, List<String>> fallbackModels, Set<String> active) {
        if (!fallbackModels.containsKey(model)) {
            return List.of(model);
        }
        Set<String> chain = new LinkedHashSet<>();
        addWithFallbacks(model, fallbackModels, chain);
        chain.retainAll(active);
        return List.copyOf(chain);
    }

    /** True when the model has fallbacks of its own or is in another model's list. */
    static boolean inAnyChain(String model, Map<String, List<String>> fallbackModels) {
        return fallbackModels.containsKey(model)
                || fallbackModels.values().stream().anyMatch(list -> list.contains(model));
    }

    private static void addWithFallbacks(String model, Map<String, List<String>> fallbackModels, Set<String> chain) {
        if (chain.add(model)) {
            fallbackModels
                    .getOrDefault(model, List.of())
                    .forEach(next -> addWithFallbacks(next, fallbackModels, chain));
        }
    }
}
