package org.jairouter.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.jairouter.config.ConfigLoader;
import org.jairouter.config.LoadedConfig;
import org.jairouter.envoy.EnvoyBootstrap;
import org.jairouter.envoy.EnvoyLimits;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The compose and Kubernetes files stay in step with the code: their Envoy bootstraps are what
 * {@code jairouter bootstrap} prints, Envoy reaches the control plane's xDS and status servers by the
 * same name, their Envoy image is the release we test with, and their JAiRouter configs load without a
 * problem or a warning.
 */
class DeployFilesTest {
    private static final Path REPO = Folders.repository();
    private static final Path K8S = REPO.resolve("deploy/kubernetes");
    /** The compose service and the Kubernetes Service of the control plane. */
    private static final String COMPOSE_CONTROL_PLANE = "control-plane";

    private static final String K8S_CONTROL_PLANE = "jairouter-control-plane";

    @Test
    void composeBootstrapIsWhatJairouterBootstrapPrints() throws IOException {
        assertEquals(
                EnvoyBootstrap.render(
                        "compose-envoy", "0.0.0.0", 9901, COMPOSE_CONTROL_PLANE, 18000, EnvoyLimits.DEFAULT),
                Files.readString(REPO.resolve("envoy/compose-bootstrap.yaml")),
                "regenerate: java -jar control-plane/target/jairouter.jar bootstrap --node-id compose-envoy"
                        + " --xds-address control-plane --admin-address 0.0.0.0 > envoy/compose-bootstrap.yaml");
    }

    /** compose.host-network.yaml: Envoy and the control plane share the host's loopback. */
    @Test
    void hostNetworkBootstrapIsWhatJairouterBootstrapPrints() throws IOException {
        assertEquals(
                EnvoyBootstrap.render("compose-envoy", "127.0.0.1", 9901, "127.0.0.1", 18000, EnvoyLimits.DEFAULT),
                Files.readString(REPO.resolve("envoy/host-network-bootstrap.yaml")),
                "regenerate: java -jar control-plane/target/jairouter.jar bootstrap --node-id compose-envoy"
                        + " --xds-address 127.0.0.1 --admin-address 127.0.0.1 > envoy/host-network-bootstrap.yaml");
    }

    @Test
    void kubernetesBootstrapIsWhatJairouterBootstrapPrints() throws IOException {
        assertEquals(
                EnvoyBootstrap.render(
                        "jairouter-envoy", "127.0.0.1", 9901, K8S_CONTROL_PLANE, 18000, EnvoyLimits.DEFAULT),
                data(K8S.resolve("envoy.yaml"), "jairouter-envoy-bootstrap", "bootstrap.yaml"));
        document(K8S.resolve("control-plane.yaml"), "Service", K8S_CONTROL_PLANE);
    }

    /** Envoy serves /v1/status by calling the status server at the address the control plane advertises. */
    @Test
    void controlPlanesAdvertiseTheNameEnvoysReachThemBy() throws IOException {
        List<?> composeCommand = (List<?>) composeService(COMPOSE_CONTROL_PLANE).get("command");
        assertEquals(COMPOSE_CONTROL_PLANE, composeCommand.get(composeCommand.indexOf("--advertise-address") + 1));
        List<?> k8sArgs = (List<?>)
                container(K8S.resolve("control-plane.yaml"), K8S_CONTROL_PLANE).get("args");
        assertEquals(K8S_CONTROL_PLANE, k8sArgs.get(k8sArgs.indexOf("--advertise-address") + 1));
    }

    @Test
    void composeAndKubernetesRunTheEnvoyReleaseWeTest() throws IOException {
        assertEquals(
                "${" + ContainerEnvoy.IMAGE_VARIABLE + ":-" + ContainerEnvoy.IMAGE + "}",
                composeService("envoy").get("image"));
        assertEquals(
                ContainerEnvoy.IMAGE,
                container(K8S.resolve("envoy.yaml"), "jairouter-envoy").get("image"));
    }

    @Test
    void composeConfigLoadsCleanly() throws Exception {
        Path config = REPO.resolve("deploy/compose/application.yml");
        assertLoadsCleanly(Files.readString(config), config.toString());
    }

    @Test
    void kubernetesConfigLoadsCleanly() throws Exception {
        Path manifest = K8S.resolve("config.yaml");
        assertLoadsCleanly(data(manifest, "jairouter-config", "application.yml"), manifest.toString());
    }

    private static void assertLoadsCleanly(String text, String source) throws Exception {
        LoadedConfig loaded = ConfigLoader.parse(text, source);
        assertEquals(List.of(), loaded.warnings());
    }

    private static Map<String, Object> composeService(String name) throws IOException {
        return map(map(documents(REPO.resolve("compose.yaml")).get(0).get("services"))
                .get(name));
    }

    /** The (only) container of a Deployment in a manifest. */
    private static Map<String, Object> container(Path manifest, String deployment) throws IOException {
        Map<String, Object> podSpec =
                map(map(map(document(manifest, "Deployment", deployment).get("spec"))
                                .get("template"))
                        .get("spec"));
        return map(((List<?>) podSpec.get("containers")).get(0));
    }

    /** One entry of a ConfigMap in a manifest. */
    private static String data(Path manifest, String configMap, String key) throws IOException {
        return (String)
                map(document(manifest, "ConfigMap", configMap).get("data")).get(key);
    }

    private static Map<String, Object> document(Path manifest, String kind, String name) throws IOException {
        return documents(manifest).stream()
                .filter(doc -> kind.equals(doc.get("kind"))
                        && name.equals(map(doc.get("metadata")).get("name")))
                .findFirst()
                .orElseThrow(() -> new AssertionError(manifest + " has no " + kind + " " + name));
    }

    private static List<Map<String, Object>> documents(Path file) throws IOException {
        return StreamSupport.stream(new Yaml().loadAll(Files.readString(file)).spliterator(), false)
                .map(DeployFilesTest::map)
                .toList();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object yamlNode) {
        return (Map<String, Object>) yamlNode;
    }
}
