package org.jairouter.it;

import org.jairouter.fixtures.Closing;
import org.jairouter.fixtures.StubBackend;

/**
 * The model servers both fallback tests route between, each model on its own stub: chat model big
 * falls back to small, transcription model whisper-large to whisper-small.
 */
final class FallbackServers implements AutoCloseable {
    // Not final: a test stops one and starts it again on its port.
    StubBackend big;
    StubBackend small;
    StubBackend whisperLarge;
    StubBackend whisperSmall;

    private FallbackServers() {}

    static FallbackServers start() {
        FallbackServers servers = new FallbackServers();
        servers.big = StubBackend.start("big");
        servers.small = StubBackend.start("small");
        servers.whisperLarge = StubBackend.start("whisper-large");
        servers.whisperSmall = StubBackend.start("whisper-small");
        return servers;
    }

    /**
     * The {@code services:} entries for the two pairs; each service's settings (YAML at the service's own
     * key indentation, e.g. {@code "retry: {attempts: 1}"}, or empty) stand above its fallbacks.
     */
    String services(String chatSettings, String sttSettings) {
        return """
                    chat:
                %s      fallback-models:
                        big: [small]
                      instances:
                        - {name: big, base-url: "%s"}
                        - {name: small, base-url: "%s"}
                    stt:
                %s      fallback-models:
                        whisper-large: [whisper-small]
                      instances:
                        - {name: whisper-large, base-url: "%s"}
                        - {name: whisper-small, base-url: "%s"}
                """.formatted(
                        settings(chatSettings),
                        big.baseUrl(),
                        small.baseUrl(),
                        settings(sttSettings),
                        whisperLarge.baseUrl(),
                        whisperSmall.baseUrl());
    }

    private static String settings(String yaml) {
        return yaml.lines().map(line -> "      " + line + "\n").reduce("", String::concat);
    }

    /**
     * A router on the model section, once Envoy has the two models' clusters whose names end in
     * {@code clusterSuffix} (the fallback's aggregate, the saturation gate): before that a request
     * could meet a config without them.
     */
    static RouterHarness route(String modelYaml, String clusterSuffix) throws Exception {
        RouterHarness router = RouterHarness.start(modelYaml);
        try {
            router.awaitEnvoy(clusters -> clusters.keySet().stream()
                            .filter(name -> name.endsWith(clusterSuffix))
                            .count()
                    == 2);
            return router;
        } catch (Exception | AssertionError e) {
            router.close();
            throw e;
        }
    }

    @Override
    public void close() throws Exception {
        Closing.all(big, small, whisperLarge, whisperSmall);
    }
}
