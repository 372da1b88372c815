package org.jairouter.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.jairouter.config.ServiceType;
import org.jairouter.fixtures.Closing;
import org.jairouter.fixtures.StubBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * One control plane serves a fleet: three Envoy processes, each with its own node id and its own ports,
 * all take the same config from it, its status lists each of them, and one edit of the YAML reaches
 * all three.
 */
class FleetOfEnvoysTest {
    private static final int FLEET_SIZE = 3;
    private static final String MODEL = "fleet-model";
    private static StubBackend first;
    private static StubBackend second;
    private static Deployment deployment;
    private static final List<Deployment.Envoy> ENVOYS = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        first = StubBackend.start("first");
        second = StubBackend.start("second");
        deployment =
                Deployment.start(ModelConfig.yaml(List.of(new ModelConfig.Served(ServiceType.CHAT, MODEL, first))));
        for (int i = 1; i <= FLEET_SIZE; i++) {
            ENVOYS.add(deployment.addEnvoy(new LocalEnvoy(), "edge-" + i));
        }
    }

    @AfterAll
    static void stop() throws Exception {
        Closing.all(deployment, first, second);
    }

    @Test
    void everyEnvoyServesTheConfigOnItsOwnPort() throws Exception {
        assertEquals(
                FLEET_SIZE,
                ENVOYS.stream().mapToInt(Deployment.Envoy::port).distinct().count());
        for (Deployment.Envoy envoy : ENVOYS) {
            HttpResponse<String> response = envoy.call(ServiceType.CHAT, MODEL);

            assertEquals(200, response.statusCode(), envoy.nodeId() + ": " + response.body());
            assertEquals(
                    first.name(), response.headers().firstValue("x-served-by").orElseThrow(), envoy.nodeId());
        }
    }

    @Test
    void theStatusListsEveryEnvoyItServes() throws Exception {
        assertEquals(
                ENVOYS.stream().map(Deployment.Envoy::nodeId).collect(Collectors.toSet()),
                deployment.connectedEnvoys());
    }

    /** Hot reload: the control plane watches its config file and pushes every saved edit. */
    @Test
    @Tag("hot-reload")
    void oneConfigEditReachesEveryEnvoy() throws Exception {
        deployment.replaceConfig(ModelConfig.yaml(List.of(
                new ModelConfig.Served(ServiceType.CHAT, MODEL, first),
                new ModelConfig.Served(ServiceType.CHAT, "fleet-added", second))));

        for (Deployment.Envoy envoy : ENVOYS) {
            envoy.awaitServing(ServiceType.CHAT, "fleet-added", second);
        }
    }
}
