package org.jairouter.config;

import java.util.Arrays;
import java.util.List;

/**
 * A list of texts written as a YAML list or as one comma-separated text, as Spring binds both to a
 * {@code List<String>} (JAiRouter ships {@code permissions: "read,write"} and comma-separated imports).
 */
final class TextList {
    private TextList() {}

    /** One text of the list, placeholders filled in, with the section it is written in (for problems). */
    record Entry(YamlSection at, String text) {}

    static List<Entry> of(YamlSection value) {
        if (value.isSequence()) {
            return value.items().stream()
                    .flatMap(item -> item.text().map(text -> new Entry(item, text)).stream())
                    .toList();
        }
        return value.text().stream()
                .flatMap(text -> split(text).stream())
                .map(text -> new Entry(value, text))
                .toList();
    }

    static List<String> split(String commaSeparated) {
        return Arrays.stream(commaSeparated.split(","))
                .map(String::trim)
                .filter(s -> !s.isEmpty())
                .toList();
    }
}
