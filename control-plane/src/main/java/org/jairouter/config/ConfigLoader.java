package org.jairouter.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.yaml.snakeyaml.nodes.Node;

/**
 * Reads JAiRouter's {@code application.yml} format into a validated {@link RouterConfig}. Pure apart
 * from reading the file: the same text always gives the same config or the same problems.
 */
public final class ConfigLoader {
    private static final ServerReader SERVER = new ServerReader();
    private static final ModelReader MODEL = new ModelReader();
    private static final MonitoringReader MONITORING = new MonitoringReader();
    /** For its key: each config's is made with its services ({@link #readRoot}). */
    private static final JaiRouterReader JAIROUTER = new JaiRouterReader(ServiceType.builtIn());
    /**
     * Every top-level section, each read by a reader of its own (nested sections by theirs: services,
     * instances, health-check...). A new section is a {@link SectionReader}, listed here and read in
     * {@link #readRoot}; keys no reader claims are warned about and ignored.
     */
    private static final List<SectionReader<?>> SECTIONS = List.of(SERVER, MODEL, MONITORING, JAIROUTER);

    private ConfigLoader() {}

    public static LoadedConfig load(Path file) throws ConfigException {
        return parse(ConfigText.read(file), file.toString());
    }

    public static LoadedConfig parse(String text, String source) throws ConfigException {
        return parse(text, source, System.getenv());
    }

    /** Parses with the given environment for ${NAME} placeholders. */
    public static LoadedConfig parse(String text, String source, Map<String, String> environment)
            throws ConfigException {
        return parse(text, source, environment, InstanceMemo.NONE);
    }

    /** Parses with instance items answered from, and remembered in, the memo. */
    static LoadedConfig parse(String text, String source, Map<String, String> environment, InstanceMemo memo)
            throws ConfigException {
        YamlSection.Problems problems = new YamlSection.Problems(source, environment, memo);
        Node root = YamlDocuments.one(text, source);
        return read(root, problems);
    }

    /** Reads a tree merged from the files of a chain ({@link SpringConfigFiles}); each problem names its own file. */
    static LoadedConfig read(
            MergedTree tree, String source, Map<String, String> environment, List<ConfigProblem> chainWarnings)
            throws ConfigException {
        YamlSection.Problems problems =
                new YamlSection.Problems(source, tree.sources(), environment, InstanceMemo.NONE);
        problems.warnings.addAll(chainWarnings);
        return read(tree.root(), problems);
    }

    private static LoadedConfig read(Node root, YamlSection.Problems problems) throws ConfigException {
        if (root == null) {
            throw new ConfigException(List.of(
                    new ConfigProblem(problems.source, 1, "model", "the file is empty; expected model.services")));
        }
        RouterConfig config = readRoot(new YamlSection(root, "", problems));
        if (!problems.errors.isEmpty()) {
            throw new ConfigException(problems.errors);
        }
        return new LoadedConfig(config, problems.warnings);
    }

    /**
     * The parser's problem, unless it concerns a secret's value: the parser quotes what it read (an alias
     * name, a tag), so then only where it is and how to fix it. Where it gave up (the end of an unclosed
     * quote) and what it was reading (that quote's start) are both asked.
     */
    private static RouterConfig readRoot(YamlSection root) {
        Map<String, YamlSection> entries = root.entries();
        // Other top-level keys belong to other tools (spring, logging...) that share the file.
        Set<String> known = SECTIONS.stream().map(SectionReader::key).collect(Collectors.toSet());
        entries.keySet().stream()
                .filter(k -> !known.contains(k))
                .forEach(k -> entries.get(k)
                        .warn(
                                k.equals("spring")
                                        ? "Spring's own settings: of them this router reads config.import,"
                                                + " profiles.active and config.activate.on-profile; the rest is ignored"
                                        : "not used by JAiRouter; ignored"));
        ListenerSettings listener = read(SERVER, root, entries);
        ModelReader.Model model = read(MODEL, root, entries);
        Monitoring monitoring = read(MONITORING, root, entries);
        // Keys may be permitted a custom service by its key: read once the services are known.
        List<ServiceType> services = new ArrayList<>(ServiceType.builtIn());
        model.services().keySet().stream().filter(ServiceType::isCustom).forEach(services::add);
        ApiKeys apiKeys = read(new JaiRouterReader(services), root, entries);
        return new RouterConfig(listener, model.services(), model.upstreamCaFile(), monitoring, apiKeys);
    }

    private static <T> T read(SectionReader<T> reader, YamlSection root, Map<String, YamlSection> entries) {
        YamlSection section = entries.get(reader.key());
        return section == null ? reader.absent(root) : reader.read(section);
    }
}
