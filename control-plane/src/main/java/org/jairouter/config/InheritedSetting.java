package org.jairouter.config;

import java.util.Map;
import java.util.function.BiFunction;

/**
 * A setting that the model section sets for every service and a service may set for itself: its key,
 * its value where neither sets it, and how its section is read over the value it inherits (a key the
 * section leaves out keeps the inherited value). Each is declared once, in {@link ServiceSettings}.
 */
public record InheritedSetting<T>(String key, T defaultValue, BiFunction<YamlSection, T, T> reader) {

    /** The value the entries of a section give it: read over {@code inherited}, or that when the key is absent. */
    T readFrom(Map<String, YamlSection> entries, T inherited) {
        YamlSection section = entries.get(key);
        return section == null ? inherited : reader.apply(section, inherited);
    }
}
