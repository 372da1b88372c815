package org.jairouter.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.jairouter.envoy.EnvoyAdmin;
import org.jairouter.envoy.EnvoyBinary;
import org.jairouter.envoy.EnvoyBootstrap;
import org.jairouter.envoy.EnvoyLimits;
import org.jairouter.envoy.EnvoyProcess;
import org.jairouter.fixtures.Conditions;
import org.jairouter.translate.Names;

/**
 * One Envoy of a fleet, started by the test on the bootstrap {@code jairouter bootstrap} prints, against
 * a control plane's xDS port (as compose and Kubernetes run them). Admin and the listener bind free
 * ports (the config says port 0); an SDK client points at the listener.
 */
final class FleetEnvoy implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    /**
     * Counters that move when Envoy replaces a listener (draining its connections) or a cluster
     * (warming it again, new connection pools); an update whose content is unchanged moves none.
     */
    private static final String REPLACEMENT_COUNTERS = "^(listener_manager\\.(listener_modified|listener_removed"
            + "|listener_in_place_updated)|cluster_manager\\.(cluster_modified|cluster_removed))$";

    private static final int COUNTED_REPLACEMENTS = 5;

    private final String nodeId;
    private final EnvoyProcess process;
    private final String admin;
    private final OpenAIClient client;

    private FleetEnvoy(String nodeId, EnvoyProcess process, String admin, int port) {
        this.nodeId = nodeId;
        this.process = process;
        this.admin = admin;
        this.client = RouterHarness.clientBuilder("http://127.0.0.1:" + port + "/v1")
                .apiKey("k")
                .build();
    }

    static FleetEnvoy start(Path workDir, String nodeId, int xdsPort) throws Exception {
        String bootstrap = EnvoyBootstrap.render(nodeId, "127.0.0.1", 0, "127.0.0.1", xdsPort, EnvoyLimits.DEFAULT);
        Path binary = EnvoyBinary.locate(Optional.empty(), EnvoyBinary.defaultInstallDir());
        EnvoyProcess process = EnvoyProcess.startOrAdopt(binary, bootstrap, workDir, "warning", 1);
        try {
            String admin = Conditions.awaitValue(
                    "Envoy " + nodeId + " writing its admin address", Duration.ofMinutes(1), process::adminAddress);
            int port = Conditions.awaitValue(
                    "Envoy " + nodeId + " serving its listener",
                    Duration.ofMinutes(2),
                    () -> new EnvoyAdmin(admin).listenerPort(Names.LISTENER));
            return new FleetEnvoy(nodeId, process, admin, port);
        } catch (RuntimeException | Error | InterruptedException e) {
            process.close();
            throw e;
        }
    }

    String nodeId() {
        return nodeId;
    }

    /** The content of one chat completion for the model: the stub names the instance that answered. */
    String chat(String model) {
        return RouterHarness.chat(client, model);
    }

    /** The answer, or empty while the Envoy does not serve it yet. */
    Optional<String> answer(String model) {
        try {
            return Optional.of(chat(model));
        } catch (RuntimeException notYet) {
            return Optional.empty();
        }
    }

    /** How often this Envoy replaced a listener or a cluster since it started, by counter. */
    Map<String, Long> replacements() throws IOException, InterruptedException {
        String url = "http://" + admin + "/stats?format=json&filter="
                + URLEncoder.encode(REPLACEMENT_COUNTERS, StandardCharsets.UTF_8);
        JsonNode stats = JSON.readTree(
                HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString())
                        .body());
        Map<String, Long> counters = new TreeMap<>();
        stats.path("stats")
                .forEach(stat -> counters.put(
                        stat.path("name").asText(), stat.path("value").asLong()));
        return counters;
    }

    @Override
    public void close() throws IOException {
        client.close();
        process.close();
    }
}
