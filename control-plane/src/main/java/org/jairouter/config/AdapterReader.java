package org.jairouter.config;

import java.util.Optional;

/** An {@code adapter} key, model-wide, per service or per instance: the kind of backend. */
final class AdapterReader {
    private AdapterReader() {}

    static Optional<Adapter> read(YamlSection section) {
        return section.text().flatMap(name -> {
            Optional<Adapter> adapter = Adapter.fromKey(name);
            if (adapter.isEmpty()) {
                section.error("unknown adapter '" + name + "'; expected one of " + String.join(", ", Adapter.keys()));
            }
            return adapter;
        });
    }
}
