package org.jairouter.config;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

/** Loads config text the way the router loads a file, so that tests only state YAML and expectations. */
final class ConfigTexts {
    static final String SOURCE = "test.yml";

    private ConfigTexts() {}

    /** Loads a config that must be valid; warnings are in the result. */
    static LoadedConfig load(String yaml) {
        try {
            return ConfigLoader.parse(yaml, SOURCE);
        } catch (ConfigException e) {
            throw new AssertionError("expected a valid config, got:\n" + e.getMessage(), e);
        }
    }

    /** The problems of a config that must be rejected. */
    static List<ConfigProblem> problems(String yaml) {
        return assertThrows(ConfigException.class, () -> ConfigLoader.parse(yaml, SOURCE))
                .problems();
    }

    /** The single problem of a config that must be rejected for exactly one reason. */
    static ConfigProblem onlyProblem(String yaml) {
        List<ConfigProblem> problems = problems(yaml);
        assertEquals(1, problems.size(), () -> "expected one problem, got " + problems);
        return problems.get(0);
    }

    static void assertProblem(ConfigProblem problem, int line, String key, String messageFragment) {
        assertAll(
                problem.toString(),
                () -> assertEquals(SOURCE, problem.source(), "source"),
                () -> assertEquals(line, problem.line(), "line"),
                () -> assertEquals(key, problem.key(), "key"),
                () -> assertTrue(
                        problem.message().contains(messageFragment),
                        () -> "message should contain \"" + messageFragment + "\""));
    }
}
