package org.jairouter.translate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.jairouter.config.ChainSettings;
import org.jairouter.config.ConfigChain;
import org.jairouter.config.ConfigException;
import org.jairouter.config.ConfigProblem;
import org.jairouter.config.Instance;
import org.jairouter.config.LoadedConfig;
import org.jairouter.config.RouterConfig;
import org.jairouter.ir.DiscoveredModels;
import org.jairouter.ir.IrJson;
import org.jairouter.ir.RouterIr;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.yaml.snakeyaml.Yaml;

/**
 * The translator against golden cases, one small case per feature. Each folder under {@code golden/}
 * holds an {@code input.yml}, the router model it makes ({@code ir.json}: names, fallback chains, gates,
 * endpoints) and the Envoy resources it must translate to, one file per xDS type ({@code
 * listeners.json}, {@code routes.json}, {@code clusters.json}, {@code endpoints.json}), plus {@code
 * warnings.txt} when loading it warns. A case with {@code models: auto} instances may give what their
 * servers list in {@code discovered.yml} (models URL → models), as the router would have read it. Each
 * folder under {@code golden-errors/} holds a config
 * that must be refused and the {@code errors.txt} it is refused with. After an intended change,
 * regenerate all of them with one command and review the diff:
 * <pre>./mvnw -B -pl control-plane -am test -Dtest='TranslatorGoldenTest' -Dsurefire.failIfNoSpecifiedTests=false -Djairouter.golden.update=true</pre>
 */
class TranslatorGoldenTest {
    static final Path GOLDEN = Path.of("src/test/resources/golden");
    static final Path GOLDEN_ERRORS = Path.of("src/test/resources/golden-errors");
    /** What the servers of a case's {@code models: auto} instances list; an input, as {@code input.yml} is. */
    private static final String DISCOVERED = "discovered.yml";
    /** The only environment the inputs' ${NAME} placeholders see, so the output never depends on the machine. */
    private static final Map<String, String> ENVIRONMENT = Map.of("GOLDEN_API_KEY", "sk-golden-from-environment");
    /** Host names in the inputs resolve to fixed addresses, so the output never depends on DNS. */
    private static final Map<String, String> HOST_NAMES = Map.of(
            "ollama.lan", "10.0.0.51",
            "gpu.example.com", "10.0.0.61",
            "vllm.lan", "10.0.0.71");

    static Stream<Path> cases() {
        return GoldenFiles.cases(GOLDEN);
    }

    static Stream<Path> errorCases() {
        return GoldenFiles.cases(GOLDEN_ERRORS);
    }

    /**
     * Reads a case as the router reads a config: {@code input.yml} and whatever it imports. The case
     * folder is the classpath root and stands for {@code /} in {@code file:} imports, so a case holds
     * JAiRouter's whole tree, its Docker mount {@code app/config/} included. Problems name files
     * relative to the case folder.
     */
    static LoadedConfig load(Path caseFolder) throws ConfigException {
        ChainSettings settings = new ChainSettings(Optional.empty(), caseFolder, List.of(), ENVIRONMENT);
        try {
            LoadedConfig loaded = ConfigChain.load(caseFolder.resolve(GoldenFiles.INPUT), settings);
            return new LoadedConfig(loaded.config(), inCase(caseFolder, loaded.warnings()));
        } catch (ConfigException e) {
            throw new ConfigException(inCase(caseFolder, e.problems()));
        }
    }

    private static List<ConfigProblem> inCase(Path caseFolder, List<ConfigProblem> problems) {
        String prefix = caseFolder + "/";
        return problems.stream()
                .map(p -> new ConfigProblem(
                        p.source().startsWith(prefix) ? p.source().substring(prefix.length()) : p.source(),
                        p.line(),
                        p.key(),
                        p.message()))
                .toList();
    }

    static EnvoyResources translate(Path caseFolder) throws IOException, ConfigException {
        return translate(routerOf(caseFolder, load(caseFolder).config()));
    }

    /** The case's router model: its config, and what its {@code discovered.yml} says the servers list. */
    static RouterIr routerOf(Path caseFolder, RouterConfig config) throws IOException {
        Path file = caseFolder.resolve(DISCOVERED);
        if (!Files.exists(file)) {
            return RouterIr.of(config);
        }
        Map<String, List<String>> lists = new Yaml().load(Files.readString(file));
        Map<URI, List<String>> byList = new TreeMap<>();
        lists.forEach((url, models) -> byList.put(URI.create(url), models));
        return RouterIr.of(config, new DiscoveredModels(byList));
    }

    private static EnvoyResources translate(RouterIr ir) {
        return EnvoyTranslator.translate(ir, resolve(ir.config()), new StatusEndpoint("127.0.0.1", 18001));
    }

    /** IP literals are their own address; names not in {@link #HOST_NAMES} stay unresolved. */
    private static ResolvedHosts resolve(RouterConfig config) {
        Map<String, String> ips = new TreeMap<>();
        config.services().values().stream()
                .flatMap(s -> s.instances().stream())
                .map(Instance::host)
                .forEach(host -> {
                    String ip = host.matches("[0-9.]+") ? host : HOST_NAMES.get(host);
                    if (ip != null) {
                        ips.put(host, ip);
                    }
                });
        return new ResolvedHosts(ips);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void translationMatchesTheGoldenFiles(Path caseFolder) throws Exception {
        LoadedConfig loaded = load(caseFolder);
        RouterIr ir = routerOf(caseFolder, loaded.config());
        EnvoyResources resources = translate(ir);
        Map<String, String> produced = new TreeMap<>(Map.of(
                "ir.json", IrJson.print(ir),
                "listeners.json", EnvoyJson.print(resources.listeners()),
                "routes.json", EnvoyJson.print(resources.routes()),
                "clusters.json", EnvoyJson.print(resources.clusters()),
                "endpoints.json", EnvoyJson.print(resources.endpoints())));
        if (!loaded.warnings().isEmpty()) {
            produced.put("warnings.txt", lines(loaded.warnings().stream()));
        }
        GoldenFiles.check(caseFolder, produced);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("errorCases")
    void refusedConfigMatchesTheGoldenErrors(Path caseFolder) throws Exception {
        try {
            load(caseFolder);
            fail(caseFolder.resolve(GoldenFiles.INPUT) + " was accepted; a golden-errors case must be refused");
        } catch (ConfigException refused) {
            GoldenFiles.check(caseFolder, Map.of("errors.txt", lines(refused.problems().stream())));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void translationIsAPureFunction(Path caseFolder) throws Exception {
        assertEquals(translate(caseFolder), translate(caseFolder));
    }

    private static String lines(Stream<ConfigProblem> problems) {
        return problems.map(ConfigProblem::toString).collect(Collectors.joining("\n", "", "\n"));
    }
}
