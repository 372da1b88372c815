/**
 * Reads and validates {@code application.yml}: one reader class per section. {@link
 * org.jairouter.config.ConfigLoader} parses the YAML and runs the top-level readers ({@code server},
 * {@code model}); {@code ModelReader} runs {@code ServicesReader}, which runs {@code ServiceReader}
 * per service ({@code CustomServiceReader} first for a custom one: a key of its own with a {@code path})
 * and {@code InstanceReader} per instance. Sections a service inherits from the model
 * ({@code load-balance}, {@code health-check}, {@code retry}, {@code rate-limit}, {@code circuit-breaker},
 * {@code adapter}) are declared once, in the table {@link org.jairouter.config.ServiceSettings}: key,
 * default, and a reader that takes the inherited value.
 *
 * <p>A new top-level section is a {@code SectionReader} (its key, how to read it, what its absence
 * means), listed in {@code ConfigLoader.SECTIONS} and read in {@code ConfigLoader.readRoot} into its
 * {@link org.jairouter.config.RouterConfig} field. A new inheritable section is its record, its reader
 * ({@code read(section, inherited)}, as {@code RetryReader}) and one {@link
 * org.jairouter.config.InheritedSetting} constant in {@code ServiceSettings}, listed in its {@code ALL}:
 * both levels then accept and read its key, and the translator reads it with {@code
 * service.settings().get(ServiceSettings.X)}. Readers report problems on the {@code YamlSection} they
 * are given (file, line and key come with it) and never throw, so that one run reports every problem.
 *
 * <p>A config may be several files, as JAiRouter ships it: {@link org.jairouter.config.ConfigChain} finds
 * them ({@code SpringConfigFiles}: Spring's imports and profiles, in Spring's precedence) and merges
 * their documents into one tree ({@code MergedTree}) whose nodes remember their file, so the readers
 * below read it as they read one file and every problem still names the file and line it is in.
 *
 * <p>The router reads a single file through {@link org.jairouter.config.IncrementalConfigLoader}, which
 * gives what {@code ConfigLoader.parse} gives but answers instance items whose text has not changed
 * from its previous read ({@code InstanceMemo}); readers need not know, as long as what an instance
 * becomes depends only on its own text, its service type and the adapter it inherits (the memo's key:
 * an instance reader that reads anything else must add it there).
 */
package org.jairouter.config;
