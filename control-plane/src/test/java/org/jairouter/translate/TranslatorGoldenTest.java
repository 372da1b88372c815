package org.jairouter.translate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.jairouter.config.ConfigLoader;
import org.jairouter.config.RouterConfig;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The translator against golden files: each golden/NAME.yml must translate to exactly
 * golden/NAME.envoy.json. After an intended change, regenerate with
 * {@code ./mvnw -pl control-plane test -Dtest=TranslatorGoldenTest -Djairouter.golden.update=true}
 * and review the diff.
 */
class TranslatorGoldenTest {
    static final Path GOLDEN = Path.of("src/test/resources/golden");
    /** Host names in the golden configs resolve to fixed addresses, so the output never depends on DNS. */
    static final ResolvedHosts HOSTS = new ResolvedHosts(Map.of(
            "ollama.lan", "10.0.0.51",
            "10.0.0.1", "10.0.0.1", "10.0.0.2", "10.0.0.2",
            "10.0.0.11", "10.0.0.11", "10.0.0.12", "10.0.0.12", "10.0.0.13", "10.0.0.13",
            "10.0.0.21", "10.0.0.21", "10.0.0.31", "10.0.0.31", "10.0.0.32", "10.0.0.32",
            "10.0.0.41", "10.0.0.41"));

    static Stream<Path> configs() throws IOException {
        return Files.list(GOLDEN).filter(p -> p.toString().endsWith(".yml")).sorted();
    }

    static EnvoyResources translate(Path config) throws Exception {
        RouterConfig loaded = ConfigLoader.load(config).config();
        return EnvoyTranslator.translate(loaded, HOSTS, new StatusEndpoint("127.0.0.1", 18001)).resources();
    }

    @ParameterizedTest
    @MethodSource("configs")
    void translationMatchesTheGoldenFile(Path config) throws Exception {
        String actual = EnvoyJson.print(translate(config));
        Path golden = Path.of(config.toString().replace(".yml", ".envoy.json"));
        if (Boolean.getBoolean("jairouter.golden.update")) {
            Files.writeString(golden, actual);
        }
        assertEquals(Files.readString(golden), actual, "translation of " + config + " differs from " + golden);
    }

    @ParameterizedTest
    @MethodSource("configs")
    void translationIsAPureFunction(Path config) throws Exception {
        assertEquals(translate(config), translate(config));
    }
}
