package org.jairouter.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The incremental loader reads every text exactly as {@link ConfigLoader} does from scratch (same
 * config, same warnings, same problems with the same lines and keys), whatever it read before, while
 * an instance whose text did not change is not read again.
 */
class IncrementalConfigLoaderTest {
    private static final Map<String, String> ENVIRONMENT = Map.of("GOLDEN_API_KEY", "sk-golden-from-environment");
    private static final String SOURCE = "application.yml";

    private static final String BASE = """
            server:
              port: 8080
            model:
              services:
                chat:
                  instances:
                    - name: "llama3"
                      base-url: "http://10.0.0.1:8000"
                    - name: "llama3"
                      base-url: "http://10.0.0.2:8000"
                      weight: 2
                    - name: "qwen"
                      base-url: "http://10.0.0.3:8000"
                embedding:
                  instances:
                    - name: "bge"
                      base-url: "http://10.0.0.4:8000"
            """;

    private final IncrementalConfigLoader loader = new IncrementalConfigLoader(ENVIRONMENT);

    @Test
    void anUnchangedInstanceIsNotReadAgainWhileAChangedOneIs() throws Exception {
        LoadedConfig before = readsAsFromScratch(BASE).orElseThrow();
        LoadedConfig after = readsAsFromScratch(BASE.replace("http://10.0.0.3:8000", "http://10.0.0.9:8000"))
                .orElseThrow();
        List<Instance> chatBefore = before.config().service(ServiceType.CHAT).instances();
        List<Instance> chatAfter = after.config().service(ServiceType.CHAT).instances();
        assertSame(chatBefore.get(0), chatAfter.get(0));
        assertSame(chatBefore.get(1), chatAfter.get(1));
        assertNotSame(chatBefore.get(2), chatAfter.get(2));
        assertEquals("10.0.0.9", chatAfter.get(2).host());
    }

    @Test
    void editsAfterAGoodReadReportExactlyWhatAReadFromScratchReports() {
        readsAsFromScratch(BASE);
        String added = BASE.replace(
                "      instances:\n        - name: \"llama3\"",
                "      instances:\n        - name: \"mistral\"\n          base-url: \"http://10.0.0.5:8000\"\n"
                        + "        - name: \"llama3\"");
        readsAsFromScratch(added);
        // A new instance with an error, below remembered ones and above others.
        readsAsFromScratch(added.replace(
                "        - name: \"qwen\"",
                "        - name: \"phi\"\n          base-url: \"ftp://10.0.0.6\"\n          weight: 0\n"
                        + "        - name: \"qwen\""));
        // Lines shift above every remembered instance, and an error elsewhere.
        readsAsFromScratch("# moved down\n\n" + added.replace("port: 8080", "port: eighty"));
        // A remembered block twice: the duplicate is reported at the second one.
        readsAsFromScratch(added.replace(
                "    embedding:\n",
                "        - name: \"qwen\"\n          base-url: \"http://10.0.0.3:8000\"\n    embedding:\n"));
        // A remembered block moved to another service, and a key unknown to instances beside it.
        readsAsFromScratch(added.replace("        - name: \"qwen\"\n          base-url: \"http://10.0.0.3:8000\"\n", "")
                .replace(
                        "        - name: \"bge\"",
                        "        - name: \"qwen\"\n          base-url: \"http://10.0.0.3:8000\"\n"
                                + "        - name: \"bge\"\n          colour: blue"));
        // What remembered blocks inherit changes: the service's adapter.
        readsAsFromScratch(added.replace("    chat:\n", "    chat:\n      adapter: gpustack\n"));
        readsAsFromScratch(added.replace("    chat:\n", "    chat:\n      adapter: nonsense\n"));
        // Broken YAML after a good read.
        readsAsFromScratch(added.replace("weight: 2", "weight: [2"));
        readsAsFromScratch(added);
        // A warning on a new instance below a run of remembered ones names its index in the file as written.
        readsAsFromScratch(added.replace(
                "        - name: \"qwen\"",
                "        - name: \"phi\"\n          base-url: \"http://10.0.0.6:8000\"\n          instance-id: phi-1\n"
                        + "        - name: \"qwen\""));
        // Blank lines and a comment between remembered instances, and a warning with a line below them.
        readsAsFromScratch(
                added.replace("        - name: \"qwen\"", "\n        # the small one\n\n        - name: \"qwen\"")
                                .replace("\n\n        - name: \"llama3\"", "\n        - name: \"llama3\"")
                                .replace(
                                        "      instances:\n        - name: \"mistral\"",
                                        "      instances:\n\n        - name: \"mistral\"")
                        + "spring:\n  profiles: dev\n");
        // A text holding the placeholder's tag is read as written.
        readsAsFromScratch(added.replace("\"qwen\"", "\"" + InstanceMemo.TAG + " 0:1\""));
        readsAsFromScratch("");
        readsAsFromScratch(added);
    }

    @Test
    void anItemWrittenWithThePlaceholderTagIsReadAsWritten() {
        String tagged = BASE.replace(
                "        - name: \"qwen\"", "        - " + InstanceMemo.TAG + " 0:2\n        - name: \"qwen\"");
        readsAsFromScratch(BASE);
        Object outcome = outcome(() -> loader.parse(tagged, SOURCE));
        assertTrue(
                outcome.toString().contains("application.yml:12")
                        && outcome.toString().contains("model.services.chat.instances[2]"),
                outcome.toString());
        readsAsFromScratch(tagged);
    }

    @Test
    void anchorsAndAliasesReadAsFromScratchAcrossEdits() {
        String anchored = BASE.replace("\"http://10.0.0.1:8000\"", "&first \"http://10.0.0.1:8000\"")
                .replace("\"http://10.0.0.4:8000\"", "*first");
        readsAsFromScratch(anchored);
        readsAsFromScratch(anchored.replace("10.0.0.1", "10.0.0.7"));
        readsAsFromScratch(anchored.replace("10.0.0.3", "10.0.0.8"));
        readsAsFromScratch(anchored.replace("*first", "*second"));
    }

    @Test
    void everyGoldenInputReadsAsFromScratchAfterAnyOther() {
        List<String> valid = inputs(Path.of("src/test/resources/golden"));
        List<String> refused = inputs(Path.of("src/test/resources/golden-errors"));
        assertTrue(valid.size() > 10 && refused.size() > 10, "golden cases found");
        for (String before : valid) {
            for (String text : Stream.concat(valid.stream(), refused.stream()).toList()) {
                IncrementalConfigLoader fresh = new IncrementalConfigLoader(ENVIRONMENT);
                outcome(() -> fresh.parse(before, SOURCE));
                assertEquals(
                        outcome(() -> ConfigLoader.parse(text, SOURCE, ENVIRONMENT)),
                        outcome(() -> fresh.parse(text, SOURCE)));
            }
        }
    }

    /** Reads the text with the incremental loader, checks it against a read from scratch, and returns it when valid. */
    private java.util.Optional<LoadedConfig> readsAsFromScratch(String text) {
        Object expected = outcome(() -> ConfigLoader.parse(text, SOURCE, ENVIRONMENT));
        Object actual = outcome(() -> loader.parse(text, SOURCE));
        assertEquals(expected, actual, text);
        return actual instanceof LoadedConfig loaded ? java.util.Optional.of(loaded) : java.util.Optional.empty();
    }

    private interface Read {
        LoadedConfig get() throws ConfigException;
    }

    /** The config and warnings, or the problems as a reader sees them. */
    private static Object outcome(Read read) {
        try {
            return read.get();
        } catch (ConfigException refused) {
            return refused.problems().stream().map(ConfigProblem::toString).toList();
        }
    }

    private static List<String> inputs(Path folder) {
        try (Stream<Path> cases = Files.list(folder)) {
            return cases.sorted()
                    .map(c -> c.resolve("input.yml"))
                    .filter(Files::exists)
                    .map(IncrementalConfigLoaderTest::read)
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
