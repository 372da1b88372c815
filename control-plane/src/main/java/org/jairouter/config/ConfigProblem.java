package org.jairouter.config;

/** One thing wrong with a config file, located precisely enough to fix it without searching. */
public record ConfigProblem(String source, int line, String key, String message) {
    @Override
    public String toString() {
        return source + ":" + line + ": " + key + ": " + message;
    }
}
