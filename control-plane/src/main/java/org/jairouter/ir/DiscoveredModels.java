package org.jairouter.ir;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * What the servers of {@code models: auto} instances listed, by the URL of their list: an input of the router
 * model beside the config, as resolved host addresses are an input of the translation. A server never heard
 * from has no entry; one that stopped answering keeps the list it last gave.
 *
 * @param byList per models URL ({@link DiscoveringInstance#modelsUrl}), the models listed there, in order
 */
public record DiscoveredModels(Map<URI, List<String>> byList) {
    public static final DiscoveredModels NONE = new DiscoveredModels(Map.of());

    public DiscoveredModels {
        byList = byList.entrySet().stream()
                .collect(Collectors.toUnmodifiableMap(Map.Entry::getKey, e -> List.copyOf(e.getValue())));
    }

    /** The models listed at this URL; empty until its server first answered. */
    public Optional<List<String>> at(URI modelsUrl) {
        return Optional.ofNullable(byList.get(modelsUrl));
    }
}
