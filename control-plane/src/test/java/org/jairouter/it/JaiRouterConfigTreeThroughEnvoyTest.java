package org.jairouter.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.jairouter.fixtures.Closing;
import org.jairouter.fixtures.Conditions;
import org.jairouter.fixtures.StubBackend;
import org.jairouter.status.ConfigStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A config laid out as JAiRouter 2.8 ships it, through real Envoy: the main file only imports, and
 * the instances live in an imported file. Editing that file reconfigures Envoy as an edit of the main
 * file does; breaking it is refused with its own file and line while traffic goes on.
 */
class JaiRouterConfigTreeThroughEnvoyTest {
    private static StubBackend first;
    private static StubBackend second;
    private static Path services;
    private static RouterHarness router;

    @BeforeAll
    static void start() throws Exception {
        first = StubBackend.start("first");
        second = StubBackend.start("second");
        Path root = Files.createTempDirectory("jairouter-tree-");
        Path main = Files.writeString(root.resolve("application.yml"), """
                server:
                  address: 127.0.0.1
                  port: 0
                spring:
                  config:
                    import:
                      - optional:file:/app/config/jairouter-test-absent.yml
                      - classpath:config/router/services.yml
                """);
        services = root.resolve("config/router/services.yml");
        Files.createDirectories(services.getParent());
        Files.writeString(services, chatModels("m", first));
        router = RouterHarness.startWithConfigFile(main);
    }

    @AfterAll
    static void stop() throws Exception {
        Closing.all(router, first, second);
    }

    @Test
    void theImportedFilesInstancesServeTraffic() {
        assertEquals("Hello from first", router.chat("m"));
    }

    @Test
    void anEditOfTheImportedFileApplies() throws Exception {
        replaceServices(chatModels("m", first) + "        - {name: n, base-url: \"" + second.baseUrl() + "\"}\n");

        Conditions.await("model n served from the imported file's edit", Duration.ofSeconds(30), () -> {
            try {
                return router.chat("n").equals("Hello from second");
            } catch (RuntimeException notYet) {
                return false;
            }
        });
        assertEquals("Hello from first", router.chat("m"));
    }

    @Test
    void aBrokenImportedFileIsRefusedWithItsOwnFileAndLineWhileTrafficContinues() throws Exception {
        Instant written = Instant.now();
        replaceServices(chatModels("m", first) + "        - {name: n, base-url: \"" + second.baseUrl()
                + "\", weight: heavy}\n");

        ConfigStatus.Refused refused = Conditions.awaitValue(
                "the edit of the imported file refused",
                Duration.ofSeconds(30),
                () -> router.router().configStatus().lastRefused().filter(r -> r.at().isAfter(written)));
        List<String> problems = refused.problems();
        assertTrue(
                problems.get(0)
                        .matches(".*config/router/services\\.yml:6: model\\.services\\.chat\\.instances\\[1]\\.weight:"
                                + " .*'heavy'.*"),
                problems.toString());
        assertEquals("Hello from first", router.chat("m"));
        replaceServices(chatModels("m", first));
    }

    private static String chatModels(String model, StubBackend stub) {
        return """
                model:
                  services:
                    chat:
                      instances:
                        - {name: %s, base-url: "%s"}
                """.formatted(model, stub.baseUrl());
    }

    /** Replaces the imported file the way editors save: a new file renamed over it. */
    private static void replaceServices(String text) throws IOException {
        Path next = Files.writeString(services.resolveSibling("services.yml.tmp"), text);
        Files.move(next, services, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
