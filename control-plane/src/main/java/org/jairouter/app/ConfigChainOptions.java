package org.jairouter.app;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jairouter.config.ChainSettings;
import picocli.CommandLine.Option;

/** Where a config's imports are found and which Spring profiles are active: shared by running and {@code validate}. */
final class ConfigChainOptions {
    @Option(
            names = "--classpath-root",
            description =
                    "Where classpath: imports are found (JAiRouter's src/main/resources); default: the config's folder.")
    Path classpathRoot;

    @Option(
            names = "--file-root",
            defaultValue = "/",
            description = "What absolute file: imports are under, e.g. a folder holding app/config/ in place of"
                    + " JAiRouter's Docker mount /app/config (default: ${DEFAULT-VALUE}).")
    Path fileRoot;

    @Option(
            names = {"--profiles", "--spring.profiles.active"},
            split = ",",
            description = "Active Spring profiles (application-<profile>.yml); override SPRING_PROFILES_ACTIVE"
                    + " and spring.profiles.active in the files.")
    List<String> profiles = new ArrayList<>();

    ChainSettings settings() {
        return new ChainSettings(Optional.ofNullable(classpathRoot), fileRoot, profiles, System.getenv());
    }
}
