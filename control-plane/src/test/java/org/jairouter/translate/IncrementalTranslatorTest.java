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
import org.jairouter.config.ConfigLoader;
import org.jairouter.config.IncrementalConfigLoader;
import org.jairouter.config.RouterConfig;
import org.jairouter.ir.EndpointId;
import org.jairouter.ir.RouterIr;
import org.junit.jupiter.api.Test;

/**
 * Translating incrementally gives what translating from scratch gives, for any sequence of configs; an
 * edit to one model leaves every other model's cluster and endpoints, and every other service's routes,
 * the objects they were; and parts are found by the value of their inputs, not by object identity.
 */
class IncrementalTranslatorTest {
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
    private final IncrementalTranslator translator = new IncrementalTranslator();

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
        List<RouterConfig> configs = new ArrayList<>();
        for (String text : List.of(
                CONFIG,
                CONFIG.replace("10.0.0.2", "10.0.0.9"),
                CONFIG.replace("type: load-aware", "type: round-robin"),
                CONFIG.replace("\"bge\"", "\"e5\""),
                CONFIG)) {
            configs.add(loader.parse(text, "application.yml").config());
        }
        // Every golden case, each read as the golden test reads it (a case may be a tree of files).
        try (var cases = Files.list(TranslatorGoldenTest.GOLDEN)) {
            for (Path folder : cases.sorted().toList()) {
                configs.add(TranslatorGoldenTest.load(folder).config());
            }
        }
        EndpointId busy = new EndpointId("chat~llama3", "10.0.0.1:8000");
        for (LoadWeights load : List.of(LoadWeights.NONE, new LoadWeights(Map.of(busy, 25)), LoadWeights.NONE)) {
            for (RouterConfig config : configs) {
                ResolvedHosts hosts = ResolvedHosts.asWritten(config);
                RouterIr ir = RouterIr.of(config);
                assertEquals(
                        EnvoyTranslator.translate(ir, hosts, load, STATUS),
                        translator.translate(ir, hosts, load, STATUS),
                        config.toString());
            }
        }
    }

    @Test
    void partsAreFoundByTheValueOfTheirInputs() throws Exception {
        EnvoyResources before =
                translate(ConfigLoader.parse(CONFIG, "application.yml").config());
        // Read again from scratch: equal instances, settings and names, all of them other objects.
        EnvoyResources after =
                translate(ConfigLoader.parse(CONFIG, "application.yml").config());
        assertSame(cluster(before, "llama3"), cluster(after, "llama3"));
        assertSame(endpoints(before, "qwen"), endpoints(after, "qwen"));
        assertSame(route(before, "chat:qwen"), route(after, "chat:qwen"));
    }

    private EnvoyResources translate(String text, LoadWeights load) throws Exception {
        RouterConfig config = loader.parse(text, "application.yml").config();
        return translator.translate(RouterIr.of(config), ResolvedHosts.asWritten(config), load, STATUS);
    }

    private EnvoyResources translate(RouterConfig config) {
        return translator.translate(RouterIr.of(config), ResolvedHosts.asWritten(config), LoadWeights.NONE, STATUS);
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
