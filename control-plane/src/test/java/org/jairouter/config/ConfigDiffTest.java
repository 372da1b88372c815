package org.jairouter.config;

import static org.jairouter.config.ConfigTexts.load;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class ConfigDiffTest {
    private static final String BEFORE = """
            model:
              services:
                chat:
                  load-balance: {type: random}
                  instances:
                    - {name: a, base-url: "http://10.0.0.1:8000", weight: 1}
                    - {name: a, base-url: "http://10.0.0.2:8000", weight: 1}
                    - {name: b, base-url: "http://10.0.0.3:8000"}
            """;

    @Test
    void namesAddedRemovedReweightedAndDeactivatedInstancesAndPolicyChanges() {
        RouterConfig after = load("""
                model:
                  services:
                    chat:
                      load-balance: {type: round-robin}
                      instances:
                        - {name: a, base-url: "http://10.0.0.1:8000", weight: 5}
                        - {name: b, base-url: "http://10.0.0.3:8000", status: inactive}
                        - {name: c, base-url: "http://10.0.0.4:8000"}
                    embedding:
                      instances:
                        - {name: e, base-url: "http://10.0.0.5:8000"}
                """).config();

        assertEquals(
                List.of(
                        "chat policy random -> round-robin",
                        "chat a@10.0.0.1:8000/v1/chat/completions weight 1 -> 5",
                        "-chat a@10.0.0.2:8000/v1/chat/completions",
                        "chat b@10.0.0.3:8000/v1/chat/completions inactive",
                        "+chat c@10.0.0.4:8000/v1/chat/completions",
                        "+service embedding",
                        "+embedding e@10.0.0.5:8000/v1/embeddings"),
                ConfigDiff.between(load(BEFORE).config(), after));
    }

    @Test
    void namesAChangeOfFallbacks() {
        RouterConfig after = load(BEFORE.replace(
                        "      instances:", "      fallback-models: {a: [b]}\n      instances:"))
                .config();

        assertEquals(
                List.of("chat fallback-models {} -> {a=[b]}"),
                ConfigDiff.between(load(BEFORE).config(), after));
    }

    @Test
    void anUnchangedConfigHasNoChanges() {
        List<String> changes =
                ConfigDiff.between(load(BEFORE).config(), load(BEFORE).config());

        assertEquals(List.of(), changes);
        assertEquals("no change to services or instances", ConfigDiff.describe(changes));
    }
}
