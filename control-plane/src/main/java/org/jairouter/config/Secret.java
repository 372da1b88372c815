package org.jairouter.config;

/**
 * A value from the config that must never be shown: upstream API keys and headers. Its text reaches
 * Envoy and, for a {@code models: auto} instance, its own server when asked for its models, nothing else;
 * printing it (logs, status, errors) gives a mask.
 */
public record Secret(String value) {
    @Override
    public String toString() {
        return "****";
    }
}
