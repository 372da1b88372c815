package org.jairouter.config;

/** One thing wrong with a config file, located precisely enough to fix it without searching. */
public record ConfigProblem(String source, int line, String key, String message) {
    /** {@code file:line: key: message}; a problem of the whole file or of no one key leaves those parts out. */
    @Override
    public String toString() {
        return source + (line > 0 ? ":" + line : "") + ": " + (key.isEmpty() ? "" : key + ": ") + message;
    }
}
