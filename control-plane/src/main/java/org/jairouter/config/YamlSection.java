package org.jairouter.config;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.text.similarity.LevenshteinDistance;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * A node of the YAML tree together with its dotted key path, so that every problem found while
 * reading it can name file, line and key. Problems go to a shared list instead of being thrown, so
 * that one run reports them all.
 */
final class YamlSection {
    private final Node node;
    private final String key;
    private final Problems problems;
    /** Where problems are reported: for a mapping value, the line of its key (a block value starts below it). */
    private final int line;
    /** The node that line is of: in a tree merged from several files, it also tells which file. */
    private final Node lineNode;

    /**
     * Collects errors and warnings for one source file, or for a tree merged from several files
     * ({@link MergedTree}, which knows each node's file), and the environment its placeholders read.
     */
    static final class Problems {
        final String source;
        /** Each node's file, for a merged tree; null when every node is of {@link #source}. */
        private final Map<Node, String> sources;

        final Map<String, String> environment;
        final List<ConfigProblem> errors = new ArrayList<>();
        final List<ConfigProblem> warnings = new ArrayList<>();
        /** What instance items were read into last time, and remembers what they are read into now. */
        final InstanceMemo memo;

        Problems(String source, Map<String, String> environment, InstanceMemo memo) {
            this(source, null, environment, memo);
        }

        Problems(String source, Map<Node, String> sources, Map<String, String> environment, InstanceMemo memo) {
            this.source = source;
            this.sources = sources;
            this.environment = environment;
            this.memo = memo;
        }

        String sourceOf(Node node) {
            return sources == null ? source : sources.getOrDefault(node, source);
        }
    }

    /** Spring's property placeholders, as JAiRouter configs use them: ${NAME} or ${NAME:default}. */
    /** Compiled once: every key of every instance is looked up through {@link #kebabCase}. */
    private static final Pattern CAMEL_CASE = Pattern.compile("[a-z][a-z0-9]*([A-Z][a-z0-9]*)+");

    private static final Pattern UPPER_CASE = Pattern.compile("([A-Z])");
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_.-]*)(?::([^}]*))?}");

    YamlSection(Node node, String key, Problems problems) {
        this(node, key, problems, node);
    }

    private YamlSection(Node node, String key, Problems problems, Node lineNode) {
        this.node = node;
        this.key = key;
        this.problems = problems;
        this.line = lineNode.getStartMark().getLine() + 1;
        this.lineNode = lineNode;
    }

    String key() {
        return key;
    }

    int line() {
        return line;
    }

    /** The node's first and last line, 0-based, as the parser saw them (a value's own, not its key's). */
    int startLine() {
        return node.getStartMark().getLine();
    }

    int endLine() {
        return node.getEndMark().getLine();
    }

    InstanceMemo memo() {
        return problems.memo;
    }

    /** How many problems the whole file has so far: a read that did not change it was clean. */
    int problemCount() {
        return problems.errors.size() + problems.warnings.size();
    }

    /** The text of a scalar written {@code TAG TEXT}; empty for any other node. */
    Optional<String> tagged(String tag) {
        return node instanceof ScalarNode scalar && scalar.getTag().getValue().equals(tag)
                ? Optional.of(scalar.getValue())
                : Optional.empty();
    }

    void error(String message) {
        problems.errors.add(new ConfigProblem(problems.sourceOf(lineNode), line(), key, message));
    }

    void warn(String message) {
        problems.warnings.add(new ConfigProblem(problems.sourceOf(lineNode), line(), key, message));
    }

    boolean isMapping() {
        return node instanceof MappingNode;
    }

    boolean isSequence() {
        return node instanceof SequenceNode;
    }

    boolean isNull() {
        return node instanceof ScalarNode s && s.getTag().getValue().endsWith(":null");
    }

    /** True when this is a mapping with the key: a question, reporting nothing (as {@link #entries()} would). */
    boolean hasKey(String name) {
        return node instanceof MappingNode mapping
                && mapping.getValue().stream()
                        .anyMatch(tuple -> tuple.getKeyNode() instanceof ScalarNode scalar
                                && scalar.getValue().equals(name));
    }

    /** The entries of a mapping, in file order; an error (and no entries) if this is not a mapping. */
    Map<String, YamlSection> entries() {
        Map<String, YamlSection> entries = new LinkedHashMap<>();
        if (isNull()) {
            return entries;
        }
        if (!(node instanceof MappingNode mapping)) {
            error("expected a mapping of keys to values, got " + describe());
            return entries;
        }
        for (NodeTuple tuple : mapping.getValue()) {
            YamlSection keySection = new YamlSection(tuple.getKeyNode(), key, problems);
            if (!(tuple.getKeyNode() instanceof ScalarNode scalarKey)) {
                keySection.error("expected a plain key");
                continue;
            }
            String name = scalarKey.getValue();
            YamlSection value = new YamlSection(tuple.getValueNode(), child(name), problems, tuple.getKeyNode());
            if (entries.containsKey(name)) {
                new YamlSection(tuple.getKeyNode(), child(name), problems).error("duplicate key");
                continue;
            }
            entries.put(name, value);
        }
        return entries;
    }

    /**
     * The entries of a mapping whose keys must be among {@code known}: an unknown key is an error with
     * the closest known key as a hint, a key in {@code ignored} is a warning. camelCase keys count as
     * their kebab-case form ({@code baseUrl} is {@code base-url}), as Spring, and so JAiRouter, reads them.
     */
    Map<String, YamlSection> entries(Set<String> known, Set<String> ignored) {
        Map<String, YamlSection> entries = new LinkedHashMap<>();
        entries().forEach((name, value) -> {
            if (entries.putIfAbsent(kebabCase(name), value) != null) {
                value.error("duplicate key (" + name + " is " + kebabCase(name) + ")");
            }
        });
        entries.entrySet().removeIf(entry -> {
            String name = entry.getKey();
            if (known.contains(name)) {
                return false;
            }
            if (ignored.contains(name)) {
                entry.getValue().warn("not supported yet; ignored");
            } else {
                entry.getValue()
                        .error("unknown key"
                                + closest(name, known)
                                        .map(k -> "; did you mean '" + k + "'?")
                                        .orElse("; expected one of "
                                                + String.join(
                                                        ", ",
                                                        known.stream().sorted().toList())));
            }
            return true;
        });
        return entries;
    }

    /** The entry under {@code key} of this mapping's entries; an error on this section if it is missing. */
    Optional<YamlSection> required(Map<String, YamlSection> entries, String key) {
        YamlSection value = entries.get(key);
        if (value == null) {
            error("missing key '" + key + "'");
        }
        return Optional.ofNullable(value);
    }

    List<YamlSection> items() {
        List<YamlSection> items = new ArrayList<>();
        if (isNull()) {
            return items;
        }
        if (!(node instanceof SequenceNode sequence)) {
            error("expected a list, got " + describe());
            return items;
        }
        // An item's index is its place in the file as written: a remembered run stands for its items.
        int index = 0;
        for (Node value : sequence.getValue()) {
            YamlSection item = new YamlSection(value, key + "[" + index + "]", problems);
            items.add(item);
            index += problems.memo.itemsStoodFor(item);
        }
        return items;
    }

    /** A scalar's text, placeholders filled in; an error and empty if this is not a non-empty scalar. */
    Optional<String> text() {
        if (node instanceof ScalarNode scalar && !isNull() && !scalar.getValue().isBlank()) {
            return resolve(scalar.getValue().trim());
        }
        error("expected a non-empty value, got " + describe());
        return Optional.empty();
    }

    /** Fills in ${NAME} and ${NAME:default} from the environment; an unset name without default is an error. */
    private Optional<String> resolve(String text) {
        Matcher matcher = PLACEHOLDER.matcher(text);
        StringBuilder resolved = new StringBuilder();
        while (matcher.find()) {
            String value = problems.environment.getOrDefault(matcher.group(1), matcher.group(2));
            if (value == null) {
                error("environment variable " + matcher.group(1) + " is not set (write ${" + matcher.group(1)
                        + ":default} to allow that)");
                return Optional.empty();
            }
            matcher.appendReplacement(resolved, Matcher.quoteReplacement(value));
        }
        return Optional.of(matcher.appendTail(resolved).toString());
    }

    /** A scalar holding a secret: like text(), but an error never repeats the value. */
    Optional<String> secretText() {
        if (node instanceof ScalarNode scalar && !isNull() && !scalar.getValue().isBlank()) {
            return resolve(scalar.getValue().trim());
        }
        error("expected a non-empty text value");
        return Optional.empty();
    }

    /** true or false; an error and empty otherwise. */
    Optional<Boolean> bool() {
        return text().flatMap(value -> switch (value.toLowerCase(java.util.Locale.ROOT)) {
            case "true" -> Optional.of(true);
            case "false" -> Optional.of(false);
            default -> {
                error("expected true or false, got '" + value + "'");
                yield Optional.empty();
            }
        });
    }

    /** An absolute URL path (as instances and health checks give them); an error and empty otherwise. */
    Optional<String> path() {
        return text().flatMap(path -> {
            if (path.startsWith("/") && !path.contains("?") && !path.contains("#") && !path.contains(" ")) {
                return Optional.of(path);
            }
            error("expected an absolute path such as /v1/chat/completions, got '" + path + "'");
            return Optional.empty();
        });
    }

    /** A whole number within bounds; an error and empty otherwise. */
    Optional<Integer> integer(long min, long max) {
        return longInteger(min, Math.min(max, Integer.MAX_VALUE)).map(Long::intValue);
    }

    /** A whole number within bounds, beyond an int's range; an error and empty otherwise. */
    Optional<Long> longInteger(long min, long max) {
        return text().flatMap(value -> {
            try {
                long number = Long.parseLong(value);
                if (number >= min && number <= max) {
                    return Optional.of(number);
                }
            } catch (NumberFormatException notANumber) {
                // reported below
            }
            error("expected a whole number from " + min + " to " + max + ", got '" + value + "'");
            return Optional.empty();
        });
    }

    private String child(String name) {
        return key.isEmpty() ? name : key + "." + name;
    }

    private String describe() {
        if (isNull()) {
            return "nothing";
        }
        if (node instanceof ScalarNode scalar) {
            return SecretKeys.bearsSecret(key) ? "a text value (not shown)" : "'" + scalar.getValue() + "'";
        }
        return node instanceof SequenceNode ? "a list" : "a mapping";
    }

    /** Spring's relaxed binding for camelCase keys; other keys are left as they are. */
    static String kebabCase(String key) {
        if (!CAMEL_CASE.matcher(key).matches()) {
            return key;
        }
        return UPPER_CASE.matcher(key).replaceAll("-$1").toLowerCase(java.util.Locale.ROOT);
    }

    /** The known key nearest to a misspelt one, if it is near enough to be a likely typo. */
    static Optional<String> closest(String name, Set<String> known) {
        LevenshteinDistance distance = LevenshteinDistance.getDefaultInstance();
        return known.stream()
                .min(Comparator.comparingInt(k -> distance.apply(name.toLowerCase(), k.toLowerCase())))
                .filter(k -> distance.apply(name.toLowerCase(), k.toLowerCase()) <= Math.max(2, k.length() / 3));
    }
}
