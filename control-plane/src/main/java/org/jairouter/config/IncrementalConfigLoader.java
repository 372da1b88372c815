package org.jairouter.config;

import java.util.Map;
import java.util.Optional;

/**
 * Reads one config file again and again, as the router does on every edit: the same result and the
 * same problems as {@link ConfigLoader#parse}, but an instance whose text has not changed since the
 * last read is not parsed and validated again (at 10,000 instances, parsing was most of a reload).
 * See {@link InstanceMemo} for why that can never change what a read reports.
 */
public final class IncrementalConfigLoader {
    private final Map<String, String> environment;
    private final InstanceMemo memo = new InstanceMemo();

    public IncrementalConfigLoader() {
        this(System.getenv());
    }

    /** With the given environment for ${NAME} placeholders, which every read uses. */
    public IncrementalConfigLoader(Map<String, String> environment) {
        this.environment = Map.copyOf(environment);
    }

    public synchronized LoadedConfig parse(String text, String source) throws ConfigException {
        ItemBlocks blocks = ItemBlocks.of(text);
        Optional<String> shortened = memo.withPlaceholders(blocks);
        if (shortened.isPresent()) {
            try {
                LoadedConfig loaded = ConfigLoader.parse(shortened.get(), source, environment, memo);
                if (memo.answeredAll()) {
                    memo.keepUsed();
                    return loaded;
                }
            } catch (ConfigException problems) {
                // Read again as written below: only that read's problems are reported.
            }
        }
        memo.begin(blocks);
        try {
            return ConfigLoader.parse(text, source, environment, memo);
        } finally {
            memo.keepUsed();
        }
    }
}
