package org.jairouter.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which config keys hold secrets: an instance's {@code api-key} and {@code headers}, a client key's
 * {@code key-value}, and anything under them. A problem on such a key never shows its value, whoever
 * found it: the YAML parser quotes what it choked on (an alias name, a tag), and a broken file has no
 * tree to ask, so its lines are read as written.
 */
final class SecretKeys {
    /** A key as YAML writes one: a word before a colon, block or flow style. */
    private static final Pattern KEY = Pattern.compile("([A-Za-z][A-Za-z0-9_-]*)\\s*:(?:\\s|$)");

    private SecretKeys() {}

    /** Whether a dotted key path ({@code model.services.chat.instances[0].api-key}) is or lies under a secret. */
    static boolean bearsSecret(String keyPath) {
        List<String> keys = new ArrayList<>();
        for (String segment : keyPath.split("\\.")) {
            keys.add(segment.replaceAll("\\[\\d+]$", ""));
        }
        return secretIn(keys).isPresent();
    }

    /**
     * The secret-bearing key whose value a line of the text (1-based) holds or continues: a key on the line,
     * or on a line it is indented under. May name one for a line that holds none (a quoted colon), never
     * miss one that does.
     */
    static Optional<String> secretKeyAt(String text, int line) {
        String[] lines = text.split("\n", -1);
        if (line < 1 || line > lines.length) {
            return Optional.empty();
        }
        List<String> keys = new ArrayList<>(keysOn(lines[line - 1]));
        int indent = indentOf(lines[line - 1]);
        for (int above = line - 2; above >= 0 && indent > 0; above--) {
            String candidate = lines[above];
            if (candidate.isBlank() || candidate.trim().startsWith("#") || indentOf(candidate) >= indent) {
                continue;
            }
            keys.addAll(0, keysOn(candidate));
            indent = indentOf(candidate);
        }
        return secretIn(keys);
    }

    /** {@code security.api-key} is the section of client keys, not a secret; an instance's api-key is. */
    private static Optional<String> secretIn(List<String> keys) {
        for (int i = 0; i < keys.size(); i++) {
            String key = YamlSection.kebabCase(keys.get(i));
            boolean clientKeysSection =
                    i > 0 && YamlSection.kebabCase(keys.get(i - 1)).equals("security");
            if (key.equals("headers") || key.equals("key-value") || (key.equals("api-key") && !clientKeysSection)) {
                return Optional.of(key);
            }
        }
        return Optional.empty();
    }

    private static List<String> keysOn(String line) {
        List<String> keys = new ArrayList<>();
        Matcher matcher = KEY.matcher(line);
        while (matcher.find()) {
            keys.add(matcher.group(1));
        }
        return keys;
    }

    /** A list item's dash counts as indentation: its keys are nested under the list's key. */
    private static int indentOf(String line) {
        int indent = 0;
        while (indent < line.length() && (line.charAt(indent) == ' ' || line.charAt(indent) == '-')) {
            indent++;
        }
        return indent;
    }
}
