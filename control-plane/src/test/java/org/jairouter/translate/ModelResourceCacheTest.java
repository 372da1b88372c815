package org.jairouter.translate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.route.v3.Route;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jairouter.config.IncrementalConfigLoader;
import org.jairouter.config.RouterConfig;
import org.junit.jupiter.api.Test;

/**
 * Translating with a cache gives what translating from scratch gives, for any sequence of configs,
 * and an edit to one model leaves every other model's cluster and endpoints, and every other service's
 * routes, the objects they were.
 */
class ModelResourceCacheTest {
    private static final StatusEndpoint STATUS = new StatusEndpoint("127.0.0.1", 18001);
    private static final String CONFIG = """
            model:
              services:
                chat:
                  load-balance:
                    type: load-aware
                  instances:
                    - name: "llama3"
                      base-url: "http://10.0.0.1:8000"
                    - name: "qwen"
                      base-url: "http://10.0.0.2:8000"
                embedding:
                  instances:
                    - name: "bge"
                      base-url: "http://10.0.0.3:8000"
            """;

    private final IncrementalConfigLoader loader =
            new IncrementalConfigLoader(Map.of("GOLDEN_API_KEY", "sk-golden-from-environment"));
    private final ModelResourceCache cache = new ModelResourceCache();

    @Test
    void anEditToOneModelRebuildsThatModelAlone() throws Exception {
        EnvoyResources before = translate(CONFIG, LoadWeights.NONE);
        EnvoyResources after = translate(CONFIG.replace("10.0.0.2", "10.0.0.9"), LoadWeights.NONE);
        assertSame(cluster(before, "llama3"), cluster(after, "llama3"));
        assertSame(endpoints(before, "llama3"), endpoints(after, "llama3"));
        assertSame(cluster(before, "bge"), cluster(after, "bge"));
        assertNotSame(endpoints(before, "qwen"), endpoints(after, "qwen"));
        // Routes are kept per service: the embedding service's, untouched, are the objects they were.
        assertSame(route(before, "embedding:bge"), route(after, "embedding:bge"));
        assertSame(route(before, "embedding:model_not_found"), route(after, "embedding:model_not_found"));
        assertNotSame(route(before, "chat:qwen"), route(after, "chat:qwen"));
    }

    @Test
    void aCachedTranslationIsTheTranslationFromScratch() throws Exception {
        List<String> texts = new ArrayList<>(List.of(
                CONFIG,
                CONFIG.replace("10.0.0.2", "10.0.0.9"),
                CONFIG.replace("type: load-aware", "type: round-robin"),
                CONFIG.replace("\"bge\"", "\"e5\""),
                CONFIG));
        try (var cases = Files.list(Path.of("src/test/resources/golden"))) {
            cases.sorted().map(c -> c.resolve("input.yml")).forEach(input -> {
                try {
                    texts.add(Files.readString(input));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
        }
        Translation.EndpointId busy = new Translation.EndpointId("chat~llama3", "10.0.0.1:8000");
        for (LoadWeights load : List.of(LoadWeights.NONE, new LoadWeights(Map.of(busy, 25)), LoadWeights.NONE)) {
            for (String text : texts) {
                RouterConfig config = loader.parse(text, "application.yml").config();
                ResolvedHosts hosts = ResolvedHosts.asWritten(config);
                assertEquals(
                        EnvoyTranslator.translate(config, hosts, load, STATUS).resources(),
                        EnvoyTranslator.translate(config, hosts, load, STATUS, cache)
                                .resources(),
                        text);
            }
        }
    }

    private EnvoyResources translate(String text, LoadWeights load) throws Exception {
        RouterConfig config = loader.parse(text, "application.yml").config();
        return EnvoyTranslator.translate(config, ResolvedHosts.asWritten(config), load, STATUS, cache)
                .resources();
    }

    private static Cluster cluster(EnvoyResources resources, String model) {
        return resources.clusters().stream()
                .filter(c -> c.getName().endsWith(model))
                .findFirst()
                .orElseThrow();
    }

    private static Route route(EnvoyResources resources, String name) {
        return resources.routes().get(0).getVirtualHosts(0).getRoutesList().stream()
                .filter(r -> r.getName().equals(name))
                .findFirst()
                .orElseThrow();
    }

    private static ClusterLoadAssignment endpoints(EnvoyResources resources, String model) {
        return resources.endpoints().stream()
                .filter(e -> e.getClusterName().endsWith(model))
                .findFirst()
                .orElseThrow();
    }
}
