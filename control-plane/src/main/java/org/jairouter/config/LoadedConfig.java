package org.jairouter.config;

import java.util.List;

/** A valid config and the warnings met while reading it (keys accepted but not acted on). */
public record LoadedConfig(RouterConfig config, List<ConfigProblem> warnings) {
    public LoadedConfig {
        warnings = List.copyOf(warnings);
    }
}
