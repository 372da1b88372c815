package org.jairouter.config;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** {@code model.services.<service>}: a service's own policies, each defaulting to the model's, and its instances. */
final class ServiceReader {
    private static final Set<String> KEYS = keys();
    private static final Set<String> CUSTOM_KEYS = CustomServiceReader.keys(KEYS);

    private ServiceReader() {}

    /** A service as read, and its {@code fallback-models}, which can be checked only once every service is read. */
    record Read(ServiceConfig config, Optional<YamlSection> fallbackModels) {}

    private static Set<String> keys() {
        Set<String> keys = new HashSet<>(ServiceSettings.keys());
        keys.addAll(List.of("instances", "fallback-models", "fallback"));
        return Set.copyOf(keys);
    }

    /** @param inherited the model section's settings */
    static Read read(ServiceType type, YamlSection service, ServiceSettings inherited) {
        return read(type, service.entries(KEYS, Set.of()), inherited);
    }

    /** A custom service ({@link CustomServiceReader}); empty when its key, path or model source is wrong. */
    static Optional<Read> readCustom(
            String key, YamlSection service, ServiceSettings inherited, CustomServiceReader customs) {
        Map<String, YamlSection> entries = service.entries(CUSTOM_KEYS, Set.of());
        return customs.read(key, service, entries).map(type -> read(type, entries, inherited));
    }

    private static Read read(ServiceType type, Map<String, YamlSection> entries, ServiceSettings inherited) {
        Optional.ofNullable(entries.get("fallback")).ifPresent(FallbackReader::read);
        ServiceSettings settings = inherited.readOver(entries);
        if (!type.streams()) {
            Optional.ofNullable(entries.get(ServiceSettings.FIRST_TOKEN_TIMEOUT.key()))
                    .ifPresent(timeout -> timeout.warn("only chat answers stream token by token; " + type.key()
                            + " ignores it (its answers keep response-timeout)"));
        }
        Adapter adapter = settings.get(ServiceSettings.ADAPTER);
        RepeatedInstances instances = new RepeatedInstances();
        for (YamlSection item : Optional.ofNullable(entries.get("instances"))
                .map(YamlSection::items)
                .orElse(List.of())) {
            InstanceReader.read(type, item, adapter).forEach(instance -> instances.add(instance, item));
        }
        return new Read(
                new ServiceConfig(type, settings, instances.instances(), Map.of()),
                Optional.ofNullable(entries.get("fallback-models")));
    }
}
