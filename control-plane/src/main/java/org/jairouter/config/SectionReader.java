package org.jairouter.config;

/**
 * Reads one top-level section of {@code application.yml} into its part of the config. Each section has
 * a reader of its own; {@link ConfigLoader} lists them. Problems go to the section, never thrown.
 *
 * @param <T> what the section configures
 */
interface SectionReader<T> {
    /** The top-level key the section sits under. */
    String key();

    T read(YamlSection section);

    /** What a left-out section means: its default, or an error reported on the file's root. */
    T absent(YamlSection root);
}
