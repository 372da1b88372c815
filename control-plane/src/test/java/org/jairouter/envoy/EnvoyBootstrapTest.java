package org.jairouter.envoy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.yaml.snakeyaml.Yaml;

class EnvoyBootstrapTest {
    @ParameterizedTest
    @ValueSource(strings = {"jairouter-a", "n", "on", "true", "12", "a\"b: c", "back\\slash"})
    void theNodeIdStaysTheStringGiven(String nodeId) {
        String bootstrap = EnvoyBootstrap.render(nodeId, "127.0.0.1", 9901, "127.0.0.1", 18000, EnvoyLimits.DEFAULT);

        Map<?, ?> node = (Map<?, ?>) new Yaml().<Map<?, ?>>load(bootstrap).get("node");
        assertEquals(nodeId, node.get("id"));
    }
}
