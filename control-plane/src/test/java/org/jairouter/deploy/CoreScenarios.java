package org.jairouter.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;
import org.jairouter.config.ServiceType;
import org.jairouter.fixtures.Closing;
import org.jairouter.fixtures.Gate;
import org.jairouter.fixtures.RecordedRequest;
import org.jairouter.fixtures.StubBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The core scenarios of a deployment, written once: every endpoint, a stream, a config edit. Each
 * subclass runs them against an Envoy on its own {@link EnvoyTarget}, configured over xDS by a control
 * plane in this JVM, as compose and Kubernetes deploy it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class CoreScenarios {
    /** If Envoy buffered a stream, the first event would never come while the backend waits: fail, don't hang. */
    private static final Duration NO_HANG = Duration.ofSeconds(60);

    private final HttpClient http = HttpClient.newHttpClient();
    private StubBackend first;
    private StubBackend second;
    private Deployment deployment;
    private Deployment.Envoy envoy;

    abstract EnvoyTarget target();

    @BeforeAll
    void start() throws Exception {
        first = StubBackend.start("first");
        second = StubBackend.start("second");
        deployment = Deployment.start(ModelConfig.yaml(ModelConfig.everyService(first)));
        envoy = deployment.addEnvoy(target(), "core-" + getClass().getSimpleName());
    }

    @AfterAll
    void stop() throws Exception {
        Closing.all(deployment, first, second);
    }

    static List<ServiceType> builtInServices() {
        return ServiceType.builtIn();
    }

    @ParameterizedTest
    @MethodSource("builtInServices")
    void everyEndpointAnswersFromTheInstanceOfItsModel(ServiceType service) throws Exception {
        String model = ModelConfig.modelOf(service);

        HttpResponse<String> response = envoy.call(service, model);

        assertEquals(200, response.statusCode(), response.body());
        assertEquals(first.name(), response.headers().firstValue("x-served-by").orElseThrow());
        List<RecordedRequest> received = first.requests();
        assertEquals(model, received.get(received.size() - 1).model());
    }

    @Test
    void aChatStreamReachesTheClientWhileTheBackendIsStillSending() {
        Gate rest = first.pauseStreamsAfterFirstChunk();
        assertTimeoutPreemptively(NO_HANG, () -> {
            HttpResponse<Stream<String>> response = http.send(
                    ModelRequests.chatStream(envoy.baseUri(), ModelConfig.modelOf(ServiceType.CHAT)),
                    HttpResponse.BodyHandlers.ofLines());
            try (Stream<String> lines = response.body()) {
                Iterator<String> events =
                        lines.filter(line -> line.startsWith("data:")).iterator();

                events.next();

                assertFalse(rest.isOpen(), "the backend must still be holding back the rest of the stream");
                rest.open();
                List<String> remaining = new ArrayList<>();
                events.forEachRemaining(remaining::add);
                assertEquals("data: [DONE]", remaining.get(remaining.size() - 1));
            }
        });
    }

    /** Hot reload: the control plane watches its config file and pushes every saved edit. */
    @Test
    @Tag("hot-reload")
    void aConfigEditReachesEnvoyWithoutARestart() throws Exception {
        List<ModelConfig.Served> edited = new ArrayList<>(ModelConfig.everyService(first));
        edited.add(new ModelConfig.Served(ServiceType.CHAT, "model-added", second));
        assertEquals(404, envoy.call(ServiceType.CHAT, "model-added").statusCode(), "not configured yet");

        deployment.replaceConfig(ModelConfig.yaml(edited));

        envoy.awaitServing(ServiceType.CHAT, "model-added", second);
        assertEquals(
                first.name(),
                envoy.call(ServiceType.CHAT, ModelConfig.modelOf(ServiceType.CHAT))
                        .headers()
                        .firstValue("x-served-by")
                        .orElseThrow(),
                "the models already configured keep their instance");
    }
}
