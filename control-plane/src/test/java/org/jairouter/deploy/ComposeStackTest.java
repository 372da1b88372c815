package org.jairouter.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import java.io.IOException;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.jairouter.envoy.EnvoyBootstrap;
import org.jairouter.envoy.EnvoyLimits;
import org.jairouter.fixtures.Closing;
import org.jairouter.fixtures.Conditions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code docker compose up} with the repository's compose files and demo config, as the README runs it,
 * on the host's network: the README's two curl requests and an OpenAI SDK call are answered through
 * Envoy, an edit of the mounted application.yml is served, the status lists the compose Envoy, and
 * {@code docker compose down} leaves nothing running. The config folder is a copy, so the edit never
 * touches the repository; the copy listens on a free loopback port instead of 8080, and xDS, status and
 * Envoy admin take free ports too, because on the host's network another process may hold the defaults.
 */
@ExtendWith(RequiresCompose.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ComposeStackTest {
    /** The images may be built first, and the JVMs in the containers start on a loaded machine. */
    private static final Duration READY_TIMEOUT = Duration.ofMinutes(3);

    private static final Duration RECONFIGURE_TIMEOUT = Duration.ofSeconds(30);
    private static final String COMPOSE_NODE_ID = "compose-envoy";
    private static final String DEMO_SERVER = "server:\n  port: 8080\n";
    private static final String DEMO_CHAT_INSTANCES =
            "    chat:\n      load-balance:\n        type: least-connections\n" + "      instances:\n";
    /** The README's two curl requests. */
    private static final String README_CHAT =
            "{\"model\":\"qwen3:1.7B\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";

    private static final String README_STREAM =
            "{\"model\":\"llama3.2\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();

    private Path folder;
    private Path configFile;
    private URI router;
    private ComposeStack stack;

    @BeforeAll
    void up() throws Exception {
        folder = Files.createTempDirectory("jairouter-compose-");
        // The containers run as unprivileged users of their own: they must read what the test writes.
        Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path configFolder = Files.createDirectory(folder.resolve("config"));
        configFile = configFolder.resolve("application.yml");
        int port = freePort();
        int xdsPort = freePort();
        router = URI.create("http://127.0.0.1:" + port);
        String demoConfig = Files.readString(Folders.repository().resolve("deploy/compose/application.yml"));
        writeConfig(replaceOnce(demoConfig, DEMO_SERVER, "server:\n  address: 127.0.0.1\n  port: " + port + "\n"));
        Path bootstrap = Files.writeString(
                folder.resolve("bootstrap.yaml"),
                EnvoyBootstrap.render(
                        COMPOSE_NODE_ID, "127.0.0.1", freePort(), "127.0.0.1", xdsPort, EnvoyLimits.DEFAULT));
        Files.setPosixFilePermissions(bootstrap, PosixFilePermissions.fromString("rw-r--r--"));
        stack = ComposeStack.up(Map.of(
                "JAIROUTER_CONFIG_DIR", configFolder.toString(),
                "JAIROUTER_ENVOY_BOOTSTRAP", bootstrap.toString(),
                "JAIROUTER_XDS_PORT", String.valueOf(xdsPort),
                "JAIROUTER_STATUS_PORT", String.valueOf(freePort())));
        awaitAnswer(
                "the compose stack answering for qwen3:1.7B", READY_TIMEOUT, README_CHAT, "gpustack-1", "gpustack-2");
    }

    @AfterAll
    void down() throws Exception {
        Closing.all(stack, () -> Folders.delete(folder));
    }

    @Test
    @Order(1)
    void theReadmeCurlRequestsAreAnswered() throws Exception {
        HttpResponse<String> chat = HTTP.send(chatRequest(README_CHAT), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, chat.statusCode(), chat.body());
        String content = JSON.readTree(chat.body())
                .path("choices")
                .path(0)
                .path("message")
                .path("content")
                .asText();
        assertTrue(content.matches("Hello from gpustack-[12]"), content);

        HttpResponse<Stream<String>> stream =
                HTTP.send(chatRequest(README_STREAM), HttpResponse.BodyHandlers.ofLines());
        assertEquals(200, stream.statusCode());
        assertEquals("ollama-1", stream.headers().firstValue("x-served-by").orElseThrow());
        try (Stream<String> lines = stream.body()) {
            List<String> events = lines.filter(line -> line.startsWith("data:")).toList();
            assertTrue(events.size() > 1, events.toString());
            assertEquals("data: [DONE]", events.get(events.size() - 1));
        }
    }

    @Test
    @Order(1)
    void anOpenAiSdkCallIsAnswered() {
        OpenAIClient client = OpenAIOkHttpClient.builder()
                .baseUrl(router + "/v1")
                .apiKey("unused")
                .build();
        try {
            ChatCompletion completion = client.chat()
                    .completions()
                    .create(ChatCompletionCreateParams.builder()
                            .model("llama3.2")
                            .addUserMessage("Hello")
                            .build());

            assertEquals(
                    "Hello from ollama-1",
                    completion.choices().get(0).message().content().orElseThrow());
        } finally {
            client.close();
        }
    }

    @Test
    @Order(1)
    void theStatusListsTheComposeEnvoy() throws Exception {
        HttpResponse<String> status = HTTP.send(
                HttpRequest.newBuilder(router.resolve("/v1/status")).build(), HttpResponse.BodyHandlers.ofString());

        assertEquals(200, status.statusCode(), status.body());
        List<String> nodeIds = new ArrayList<>();
        JSON.readTree(status.body())
                .path("envoys")
                .forEach(envoy -> nodeIds.add(envoy.path("node_id").asText()));
        assertEquals(List.of(COMPOSE_NODE_ID), nodeIds, status.body());
    }

    /** Hot reload: the control plane in its container watches the mounted folder. */
    @Test
    @Order(2)
    @Tag("hot-reload")
    void anEditOfTheMountedConfigIsServed() throws Exception {
        String added = "{\"model\":\"compose-added\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";
        assertEquals(
                404,
                HTTP.send(chatRequest(added), HttpResponse.BodyHandlers.ofString())
                        .statusCode());

        String config = Files.readString(configFile);
        writeConfig(replaceOnce(
                config,
                DEMO_CHAT_INSTANCES,
                DEMO_CHAT_INSTANCES
                        + "        - name: \"compose-added\"\n"
                        + "          base-url: \"http://127.0.0.1:18103\"\n"
                        + "          path: \"/v1/chat/completions\"\n"));

        awaitAnswer("the edit (model compose-added) served", RECONFIGURE_TIMEOUT, added, "ollama-1");
    }

    @Test
    @Order(3)
    void composeDownLeavesNothingRunning() throws Exception {
        stack.close();

        assertEquals(List.of(), stack.containers());
        assertThrows(
                ConnectException.class,
                () -> HTTP.send(chatRequest(README_CHAT), HttpResponse.BodyHandlers.discarding()),
                "nothing listens on the router port any more");
    }

    private HttpRequest chatRequest(String body) {
        return HttpRequest.newBuilder(router.resolve("/v1/chat/completions"))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
    }

    /** Waits for a 200 from one of these stubs; the stack's logs go into the failure. */
    private void awaitAnswer(String what, Duration timeout, String chatBody, String... servedBy) throws Exception {
        try {
            Conditions.awaitValue(
                    what,
                    timeout,
                    () -> Optional.of(HTTP.send(chatRequest(chatBody), HttpResponse.BodyHandlers.ofString()))
                            .filter(response -> response.statusCode() == 200)
                            .filter(response -> List.of(servedBy)
                                    .contains(response.headers()
                                            .firstValue("x-served-by")
                                            .orElse(""))));
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\n" + stack.logs(), e);
        }
    }

    /** As editors save: a new file renamed over the old, readable by the control plane's user. */
    private void writeConfig(String text) throws IOException {
        Path next = Files.writeString(configFile.resolveSibling("application.yml.next"), text);
        Files.setPosixFilePermissions(next, PosixFilePermissions.fromString("rw-r--r--"));
        Files.move(next, configFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static String replaceOnce(String text, String demoPart, String replacement) {
        if (!text.contains(demoPart)) {
            throw new IllegalStateException("deploy/compose/application.yml no longer contains:\n" + demoPart);
        }
        return text.replace(demoPart, replacement);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
