package org.jairouter.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;

/**
 * The files a config is made of and their precedence, as Spring Boot decides them for JAiRouter's
 * {@code application.yml}: the main file, then what its documents import ({@code spring.config.import},
 * depth first: an imported file overrides its importer, a later import an earlier one), then the
 * profile-specific part, which overrides all of that: documents whose {@code
 * spring.config.activate.on-profile} matches, and each file's {@code <name>-<profile>.yml} beside it.
 * Profiles come from the command line, else {@code SPRING_PROFILES_ACTIVE}, else the last {@code
 * spring.profiles.active} of the files; none active is Spring's {@code default}. A file imported twice
 * is read once, as in Spring.
 */
final class SpringConfigFiles {
    /** Whether a text may use imports, profiles or several documents; a file without them is read alone. */
    private static final Pattern MAY_CHAIN = Pattern.compile(
            "(?m)^[ \\t]*(?:spring\\.(?:config|profiles)\\.)?(?:import|active|on-profile)[ \\t]*:|^---");

    private static final String IMPORT = "spring.config.import";
    private static final String ACTIVE = "spring.profiles.active";
    private static final String ON_PROFILE = "spring.config.activate.on-profile";

    /**
     * What was read: the documents lowest precedence first, every file read (in that order) with its
     * bytes, and every file that would join the chain if it appeared (optional imports, profile files).
     */
    record Chain(
            List<ConfigDocument> documents,
            Map<Path, byte[]> contents,
            Set<Path> watched,
            List<String> profiles,
            List<ConfigProblem> warnings) {}

    private record Deferred(Path file, Node document, YamlSection onProfile, YamlSection.Problems problems) {}

    private final Path main;
    private final ChainSettings settings;
    private final Path classpathRoot;
    private final List<ConfigDocument> documents = new ArrayList<>();
    private final Map<Path, byte[]> contents = new LinkedHashMap<>();
    private final Set<Path> read = new HashSet<>();
    private final Set<Path> watched = new LinkedHashSet<>();
    private final List<Deferred> deferred = new ArrayList<>();
    private final List<ConfigProblem> errors = new ArrayList<>();
    private final List<ConfigProblem> warnings = new ArrayList<>();
    /** The profiles once the non-profile part is read; null before. */
    private List<String> profiles;

    private SpringConfigFiles(Path main, ChainSettings settings) {
        this.main = main;
        this.settings = settings;
        this.classpathRoot = settings.classpathRoot().orElseGet(() -> folderOf(main));
    }

    static boolean mayChain(String text) {
        return MAY_CHAIN.matcher(text).find();
    }

    /** Whether a profile given outside the files (command line, environment, or Spring's default) has a file beside main. */
    static boolean profileFileBeside(Path main, ChainSettings settings) {
        List<String> outside = outsideProfiles(settings).orElse(List.of("default"));
        return outside.stream().anyMatch(profile -> Files.exists(profileFile(main, profile)));
    }

    /** Reads the chain that starts at the main file, whose bytes and text are already read. */
    static Chain read(Path main, byte[] bytes, String text, ChainSettings settings) throws ConfigException {
        SpringConfigFiles files = new SpringConfigFiles(main, settings);
        files.readAll(bytes, text);
        if (!files.errors.isEmpty()) {
            throw new ConfigException(files.errors);
        }
        return new Chain(files.documents, files.contents, files.watched, files.profiles, files.warnings);
    }

    private void readAll(byte[] mainBytes, String mainText) {
        List<Path> baseFiles = new ArrayList<>();
        visit(main, Optional.of(new Text(mainBytes, mainText)), false, baseFiles);
        profiles = outsideProfiles(settings).orElseGet(this::profilesInFiles);
        for (Deferred document : deferred) {
            if (matches(document.onProfile(), profiles)) {
                use(document.file(), document.document(), document.problems(), true, new ArrayList<>());
            }
        }
        for (String profile : profiles) {
            for (Path file : baseFiles) {
                Path profileFile = profileFile(file, profile);
                watched.add(profileFile);
                if (Files.exists(profileFile)) {
                    visit(profileFile, Optional.empty(), true, new ArrayList<>());
                }
            }
        }
    }

    private record Text(byte[] bytes, String text) {}

    /** Reads a file's documents into the chain, each followed by what it imports. */
    private void visit(Path file, Optional<Text> known, boolean profileSpecific, List<Path> visited) {
        watched.add(file);
        if (!read.add(file.toAbsolutePath().normalize())) {
            return;
        }
        visited.add(file);
        List<Node> fileDocuments;
        try {
            Text text = known.isPresent() ? known.get() : text(file);
            contents.put(file, text.bytes());
            fileDocuments = YamlDocuments.all(text.text(), file.toString());
        } catch (ConfigException e) {
            errors.addAll(e.problems());
            return;
        }
        for (Node document : fileDocuments) {
            YamlSection.Problems problems =
                    new YamlSection.Problems(file.toString(), settings.environment(), InstanceMemo.NONE);
            Optional<YamlSection> onProfile = find(document, ON_PROFILE, problems);
            if (onProfile.isPresent() && profiles == null) {
                deferred.add(new Deferred(file, document, onProfile.get(), problems));
            } else if (onProfile.isEmpty() || matches(onProfile.get(), profiles)) {
                use(file, document, problems, profileSpecific || onProfile.isPresent(), visited);
            }
        }
    }

    private void use(
            Path file, Node document, YamlSection.Problems problems, boolean profileSpecific, List<Path> visited) {
        documents.add(new ConfigDocument(file.toString(), document));
        if (profileSpecific) {
            find(document, ACTIVE, problems)
                    .ifPresent(active -> active.warn("ignored in a profile-specific document (Spring refuses it there);"
                            + " set profiles in the main file, SPRING_PROFILES_ACTIVE or --profiles"));
        }
        find(document, IMPORT, problems).ifPresent(imports -> {
            for (TextList.Entry entry : TextList.of(imports)) {
                resolve(file, entry.text(), entry.at()).ifPresent(target -> {
                    if (Files.exists(target.path()) || !target.optional()) {
                        visit(target.path(), Optional.empty(), profileSpecific, visited);
                    } else {
                        watched.add(target.path());
                    }
                });
            }
        });
        errors.addAll(problems.errors);
        warnings.addAll(problems.warnings);
        problems.errors.clear();
        problems.warnings.clear();
    }

    private record Target(Path path, boolean optional) {}

    /** Where an import points, Spring's prefixes read: optional:, file:, classpath:, none (beside the importer). */
    private Optional<Target> resolve(Path importer, String location, YamlSection entry) {
        boolean optional = location.startsWith("optional:");
        String rest = optional ? location.substring("optional:".length()) : location;
        Path path;
        if (rest.startsWith("classpath:")) {
            path = classpathRoot.resolve(stripSlashes(rest.substring("classpath:".length())));
        } else if (rest.startsWith("file:") || !rest.matches("[a-z][a-z0-9+.-]*:.*")) {
            String name = rest.startsWith("file:") ? rest.substring("file:".length()) : rest;
            path = name.startsWith("/")
                    ? settings.fileRoot().resolve(stripSlashes(name))
                    : folderOf(importer).resolve(name);
        } else {
            entry.warn("'" + location + "': only file: and classpath: imports are read; ignored");
            return Optional.empty();
        }
        path = path.normalize();
        if (rest.endsWith("/")) {
            path = path.resolve("application.yml");
        } else if (!rest.endsWith(".yml") && !rest.endsWith(".yaml")) {
            entry.warn("'" + location + "': only YAML files (.yml, .yaml) are read; ignored");
            return Optional.empty();
        }
        if (!optional && !Files.exists(path)) {
            entry.error("'" + location + "' is not there (looked for " + path + "); write optional:" + location
                    + " if it may be missing" + (rest.startsWith("classpath:") ? ", or set --classpath-root" : ""));
            return Optional.empty();
        }
        return Optional.of(new Target(path, optional));
    }

    /** Whether any of an on-profile's expressions holds for the active profiles. */
    private static boolean matches(YamlSection onProfile, List<String> active) {
        return TextList.of(onProfile).stream().anyMatch(e -> ProfileExpression.matches(e.text(), active));
    }

    private List<String> profilesInFiles() {
        List<String> active = List.of();
        for (ConfigDocument document : documents) {
            YamlSection.Problems problems =
                    new YamlSection.Problems(document.source(), settings.environment(), InstanceMemo.NONE);
            Optional<YamlSection> set = find(document.root(), ACTIVE, problems);
            if (set.isPresent()) {
                active = TextList.of(set.get()).stream()
                        .map(TextList.Entry::text)
                        .toList();
            }
            errors.addAll(problems.errors);
        }
        return active.isEmpty() ? List.of("default") : active;
    }

    private static Optional<List<String>> outsideProfiles(ChainSettings settings) {
        if (!settings.profiles().isEmpty()) {
            return Optional.of(settings.profiles());
        }
        return Optional.ofNullable(settings.environment().get("SPRING_PROFILES_ACTIVE"))
                .map(TextList::split)
                .filter(list -> !list.isEmpty());
    }

    /**
     * The value at a dotted key, written nested or (as Spring allows) with dots in one key:
     * {@code spring: {config: {import: x}}} and {@code spring.config.import: x} are the same.
     */
    private static Optional<YamlSection> find(Node document, String dottedKey, YamlSection.Problems problems) {
        String[] parts = dottedKey.split("\\.");
        return find(document, parts, 0).map(node -> new YamlSection(node, dottedKey, problems));
    }

    private static Optional<Node> find(Node node, String[] parts, int from) {
        if (!(node instanceof MappingNode mapping)) {
            return Optional.empty();
        }
        for (int to = parts.length; to > from; to--) {
            String key = String.join(".", Arrays.copyOfRange(parts, from, to));
            for (NodeTuple tuple : mapping.getValue()) {
                if (tuple.getKeyNode() instanceof ScalarNode k && k.getValue().equals(key)) {
                    Optional<Node> found = to == parts.length
                            ? Optional.of(tuple.getValueNode())
                            : find(tuple.getValueNode(), parts, to);
                    if (found.isPresent()) {
                        return found;
                    }
                }
            }
        }
        return Optional.empty();
    }

    private static Text text(Path file) throws ConfigException {
        byte[] bytes = ConfigText.bytes(file);
        return new Text(bytes, ConfigText.decode(file, bytes));
    }

    /** {@code <name>-<profile>.<ext>} beside a file, as Spring looks for it. */
    private static Path profileFile(Path file, String profile) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String stem = dot < 0 ? name : name.substring(0, dot);
        String extension = dot < 0 ? "" : name.substring(dot);
        return file.resolveSibling(stem + "-" + profile + extension);
    }

    private static Path folderOf(Path file) {
        Path folder = file.getParent();
        return folder == null ? Path.of("") : folder;
    }

    private static String stripSlashes(String path) {
        return path.replaceFirst("^/+", "");
    }
}
