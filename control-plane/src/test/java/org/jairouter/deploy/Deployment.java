package org.jairouter.deploy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.jairouter.app.Router;
import org.jairouter.app.RouterOptions;
import org.jairouter.config.ServiceType;
import org.jairouter.envoy.EnvoyAdmin;
import org.jairouter.envoy.EnvoyBootstrap;
import org.jairouter.envoy.EnvoyLimits;
import org.jairouter.fixtures.Closing;
import org.jairouter.fixtures.Conditions;
import org.jairouter.fixtures.StubBackend;
import org.jairouter.translate.Names;

/**
 * A deployment as compose and Kubernetes run it, inside a test: the control plane in this JVM without
 * an Envoy of its own, and any number of Envoys, each started on some {@link EnvoyTarget}, taking their
 * config from it over xDS. Everything listens on loopback, on ports chosen free at bind time.
 */
final class Deployment implements AutoCloseable {
    /** The first start may install Envoy from PyPI or pull its image. */
    private static final Duration READY_TIMEOUT = Duration.ofMinutes(3);
    /** A config edit reaches Envoy within about a second; allow for a loaded machine. */
    private static final Duration RECONFIGURE_TIMEOUT = Duration.ofSeconds(30);
    /** Port 0: every Envoy binds a free port of its own for the same listener. */
    private static final String SERVER_YAML = "server:\n  address: 127.0.0.1\n  port: 0\n";

    private static final String CONFIG_FILE = "application.yml";
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path workDir;
    private final Router controlPlane;
    /** By node id. */
    private final Map<String, EnvoyTarget.RunningEnvoy> envoys = new LinkedHashMap<>();

    private Deployment(Path workDir, Router controlPlane) {
        this.workDir = workDir;
        this.controlPlane = controlPlane;
    }

    /** Starts the control plane, with no Envoy yet, on a config with this {@code model:} section. */
    static Deployment start(String modelYaml) throws Exception {
        Path workDir = Files.createTempDirectory("jairouter-deploy-");
        Path config = Files.writeString(workDir.resolve(CONFIG_FILE), SERVER_YAML + modelYaml);
        try {
            return new Deployment(
                    workDir,
                    Router.start(RouterOptions.builder(config, workDir, "no-envoy-of-its-own")
                            .runEnvoy(false)
                            .concurrency(1)
                            .build()));
        } catch (Exception e) {
            Folders.delete(workDir);
            throw e;
        }
    }

    /** Starts an Envoy on the target and waits until it serves: config received, listener bound. */
    Envoy addEnvoy(EnvoyTarget target, String nodeId) throws Exception {
        String bootstrap =
                EnvoyBootstrap.render(nodeId, "127.0.0.1", 0, "127.0.0.1", controlPlane.xdsPort(), EnvoyLimits.DEFAULT);
        EnvoyTarget.RunningEnvoy envoy = target.start(nodeId, bootstrap);
        envoys.put(nodeId, envoy);
        int port = Conditions.awaitValue(
                "Envoy " + nodeId + " serving its listener", READY_TIMEOUT, () -> listenerPort(envoy));
        return new Envoy(nodeId, port, new EnvoyAdmin(envoy.adminAddress().orElseThrow()));
    }

    private static Optional<Integer> listenerPort(EnvoyTarget.RunningEnvoy envoy) throws Exception {
        Optional<EnvoyAdmin> admin = envoy.adminAddress().map(EnvoyAdmin::new);
        return admin.isPresent() && admin.get().isReady() ? admin.get().listenerPort(Names.LISTENER) : Optional.empty();
    }

    /** Stops one Envoy, as a replica scaled away goes: its xDS stream closes. */
    void stopEnvoy(Envoy envoy) throws Exception {
        envoys.remove(envoy.nodeId()).close();
    }

    /** Replaces the {@code model:} section as editors and ConfigMap updates do: a new file renamed over the old. */
    void replaceConfig(String modelYaml) throws IOException {
        Path next = Files.writeString(workDir.resolve(CONFIG_FILE + ".next"), SERVER_YAML + modelYaml);
        Files.move(
                next,
                workDir.resolve(CONFIG_FILE),
                StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
    }

    /** The node ids of the Envoys connected to the control plane, as its status output lists them. */
    Set<String> connectedEnvoys() throws IOException, InterruptedException {
        HttpResponse<String> status = HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + controlPlane.statusPort() + "/v1/status"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        Set<String> nodeIds = new TreeSet<>();
        JSON.readTree(status.body())
                .path("envoys")
                .forEach(envoy -> nodeIds.add(envoy.path("node_id").asText()));
        return nodeIds;
    }

    /** Stops every Envoy, then the control plane, even when one of them fails to stop. */
    @Override
    public void close() throws Exception {
        List<AutoCloseable> parts = new ArrayList<>(envoys.values());
        parts.add(controlPlane);
        parts.add(() -> Folders.delete(workDir));
        Closing.all(parts);
    }

    /** One Envoy of the deployment, serving the OpenAI API on its own port. */
    record Envoy(String nodeId, int port, EnvoyAdmin admin) {
        URI baseUri() {
            return URI.create("http://127.0.0.1:" + port);
        }

        HttpResponse<String> call(ServiceType service, String model) throws IOException, InterruptedException {
            return HTTP.send(ModelRequests.to(baseUri(), service, model), HttpResponse.BodyHandlers.ofString());
        }

        /** Waits until this Envoy answers for the model from the backend: a config edit has reached it. */
        void awaitServing(ServiceType service, String model, StubBackend backend) throws Exception {
            Conditions.awaitValue(
                    "Envoy " + nodeId + " answering for " + model + " from " + backend.name(),
                    RECONFIGURE_TIMEOUT,
                    () -> Optional.of(call(service, model))
                            .filter(response -> response.statusCode() == 200)
                            .filter(response -> response.headers()
                                    .firstValue("x-served-by")
                                    .filter(backend.name()::equals)
                                    .isPresent()));
        }
    }
}
