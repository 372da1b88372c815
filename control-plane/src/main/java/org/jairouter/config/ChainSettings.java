package org.jairouter.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How the files a config imports are found, and which Spring profiles are active.
 *
 * @param classpathRoot where {@code classpath:} imports are looked up; empty: the main file's folder,
 *                      so a copy of JAiRouter's {@code src/main/resources} needs nothing else
 * @param fileRoot      what an absolute {@code file:} import is under: {@code /} as Spring reads it;
 *                      another folder stands in for JAiRouter's Docker mount {@code /app/config}
 * @param profiles      profiles given on the command line; they override {@code SPRING_PROFILES_ACTIVE}
 *                      and {@code spring.profiles.active} in the files, as in Spring
 * @param environment   what {@code ${NAME}} placeholders and {@code SPRING_PROFILES_ACTIVE} read
 */
public record ChainSettings(
        Optional<Path> classpathRoot, Path fileRoot, List<String> profiles, Map<String, String> environment) {
    public ChainSettings {
        profiles = List.copyOf(profiles);
        environment = Map.copyOf(environment);
    }

    /** Spring's defaults, with the process environment. */
    public static ChainSettings defaults() {
        return new ChainSettings(Optional.empty(), Path.of("/"), List.of(), System.getenv());
    }

    public ChainSettings withEnvironment(Map<String, String> environment) {
        return new ChainSettings(classpathRoot, fileRoot, profiles, environment);
    }
}
