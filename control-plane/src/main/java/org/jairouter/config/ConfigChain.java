package org.jairouter.config;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A config as the router reads it: one file, or a main file and every file it brings in through
 * Spring's imports and profiles ({@link SpringConfigFiles}), merged into one tree ({@link MergedTree}).
 * A file that uses neither is read by the {@link IncrementalConfigLoader} as before, so an edit at
 * 10,000 instances re-reads only the instances it changed; a chain of files is read whole on each
 * change (its files are JAiRouter's small module files).
 */
public final class ConfigChain {
    private final Path main;
    private final ChainSettings settings;
    private final IncrementalConfigLoader singleFile;
    /** The last read, whose main file's text need not be decoded again when its bytes are the same. */
    private Snapshot last;

    public ConfigChain(Path main, ChainSettings settings) {
        this.main = main;
        this.settings = settings;
        this.singleFile = new IncrementalConfigLoader(settings.environment());
    }

    /**
     * Every file of the config as it is now, not yet validated.
     *
     * @throws ConfigException when a file cannot be read, is not YAML, or a required import is missing
     */
    public synchronized Snapshot read() throws ConfigException {
        byte[] bytes = ConfigText.bytes(main);
        String text = last != null && Arrays.equals(last.contents.get(main), bytes)
                ? last.mainText
                : ConfigText.decode(main, bytes);
        Snapshot snapshot;
        if (!SpringConfigFiles.mayChain(text) && !SpringConfigFiles.profileFileBeside(main, settings)) {
            snapshot = new Snapshot(Map.of(main, bytes), text, Optional.empty());
        } else {
            SpringConfigFiles.Chain chain = SpringConfigFiles.read(main, bytes, text, settings);
            snapshot = new Snapshot(chain.contents(), text, Optional.of(chain));
        }
        last = snapshot;
        return snapshot;
    }

    /** Validates what a read found. */
    public synchronized LoadedConfig load(Snapshot snapshot) throws ConfigException {
        if (snapshot.chain.isEmpty()) {
            return singleFile.parse(snapshot.mainText, main.toString());
        }
        SpringConfigFiles.Chain chain = snapshot.chain.get();
        return ConfigLoader.read(
                MergedTree.of(chain.documents()), main.toString(), settings.environment(), chain.warnings());
    }

    /** Reads and validates once, as {@code validate} does. */
    public static LoadedConfig load(Path main, ChainSettings settings) throws ConfigException {
        ConfigChain chain = new ConfigChain(main, settings);
        return chain.load(chain.read());
    }

    /** The files of one read and their bytes; two reads with the same bytes in the same files give the same config. */
    public static final class Snapshot {
        private final Map<Path, byte[]> contents;
        private final String mainText;
        private final Optional<SpringConfigFiles.Chain> chain;

        private Snapshot(Map<Path, byte[]> contents, String mainText, Optional<SpringConfigFiles.Chain> chain) {
            this.contents = new LinkedHashMap<>(contents);
            this.mainText = mainText;
            this.chain = chain;
        }

        /** The files read, in precedence order (the main file first). */
        public List<Path> files() {
            return List.copyOf(contents.keySet());
        }

        /** Every file whose change can change the config, those that may yet appear included. */
        public Set<Path> watched() {
            return chain.map(SpringConfigFiles.Chain::watched)
                    .orElse(Set.of(contents.keySet().iterator().next()));
        }

        /** The active Spring profiles; empty for a single file, which has none. */
        public List<String> profiles() {
            return chain.map(SpringConfigFiles.Chain::profiles).orElse(List.of());
        }

        public boolean sameFilesAs(Snapshot other) {
            return other != null
                    && contents.keySet().equals(other.contents.keySet())
                    && contents.entrySet().stream()
                            .allMatch(file -> Arrays.equals(file.getValue(), other.contents.get(file.getKey())));
        }
    }
}
