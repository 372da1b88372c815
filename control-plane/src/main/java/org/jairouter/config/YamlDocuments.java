package org.jairouter.config;

import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Node;

/** Parses YAML text into node trees, which keep every line; a syntax error becomes a problem at its line. */
final class YamlDocuments {
    private YamlDocuments() {}

    /** The one document of a file; null for an empty file. */
    static Node one(String text, String source) throws ConfigException {
        try {
            return new Yaml(new LoaderOptions()).compose(new StringReader(text));
        } catch (YAMLException e) {
            throw invalid(e, text, source);
        }
    }

    /** Every document of a file ({@code ---} between them), in order; empty ones left out. */
    static List<Node> all(String text, String source) throws ConfigException {
        List<Node> documents = new ArrayList<>();
        try {
            for (Node document : new Yaml(new LoaderOptions()).composeAll(new StringReader(text))) {
                if (document != null) {
                    documents.add(document);
                }
            }
        } catch (YAMLException e) {
            throw invalid(e, text, source);
        }
        return documents;
    }

    /**
     * The parser's problem at its line. The parser quotes what it read, so on a line that holds (or
     * continues) a secret's value its words are replaced: the value is never shown ({@link SecretKeys}).
     */
    private static ConfigException invalid(YAMLException e, String text, String source) {
        if (!(e instanceof MarkedYAMLException marked)) {
            return new ConfigException(List.of(new ConfigProblem(source, 0, "", "invalid YAML: " + e.getMessage())));
        }
        int line = marked.getProblemMark() == null ? 0 : marked.getProblemMark().getLine() + 1;
        int context =
                marked.getContextMark() == null ? 0 : marked.getContextMark().getLine() + 1;
        for (int at : List.of(context, line)) {
            Optional<String> secret = SecretKeys.secretKeyAt(text, at);
            if (secret.isPresent()) {
                return new ConfigException(List.of(new ConfigProblem(
                        source,
                        at,
                        secret.get(),
                        "invalid YAML in a secret's value (not shown); write the value in quotes, e.g. \"...\"")));
            }
        }
        return new ConfigException(
                List.of(new ConfigProblem(source, line, "", "invalid YAML: " + marked.getProblem())));
    }
}
