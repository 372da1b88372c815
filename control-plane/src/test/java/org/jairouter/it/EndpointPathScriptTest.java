package org.jairouter.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.jairouter.fixtures.RecordedRequest;
import org.jairouter.fixtures.StubBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * endpoint-path.lua in a real Envoy, as the upstream filter it is: it moves the instance's path from
 * its private header into {@code :path}, keeps the client's query string, and never lets the header
 * reach the instance. Here the client sets the header itself, standing in for the header_mutation
 * that fills it from the chosen endpoint's metadata (that wiring is in the {@code per-instance-paths}
 * golden case and {@link PerInstancePathTest}); a stub backend reports what it received.
 */
class EndpointPathScriptTest {
    private static final String HEADER = "x-jairouter-endpoint-path";
    private static final String ROUTES = """
            - match: {prefix: /}
              route: {cluster: instance}
            """;
    /** The instance, with the script as its upstream filter (then the codec that sends the request). */
    private static final String CLUSTERS = """
            - name: instance
              type: STATIC
              load_assignment:
                cluster_name: instance
                endpoints:
                - lb_endpoints:
                  - endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: %d}}}
              typed_extension_protocol_options:
                envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
                  "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
                  explicit_http_config: {http_protocol_options: {}}
                  http_filters:
                  - name: envoy.filters.http.lua
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua
                      default_source_code: {filename: "%s"}
                  - name: envoy.filters.http.upstream_codec
                    typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodec}
            """;

    @TempDir
    static Path dir;

    private static StubBackend instance;
    private static StaticEnvoy envoy;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        instance = StubBackend.start("instance");
        Path script = StaticEnvoy.writeLuaScript(dir, "endpoint-path.lua");
        envoy = StaticEnvoy.start(
                StaticEnvoy.bootstrap("", ROUTES, "", CLUSTERS.formatted(instance.port(), script)),
                dir.resolve("envoy"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (envoy != null) {
            envoy.close();
        }
        if (instance != null) {
            instance.close();
        }
    }

    @BeforeEach
    void forgetEarlierRequests() {
        instance.clearRequests();
    }

    @Test
    void theInstancePathReplacesTheRequestPath() throws Exception {
        RecordedRequest received = send("/v1/chat/completions", "/v1-openai/chat/completions");

        assertEquals("/v1-openai/chat/completions", received.path());
        assertFalse(received.headers().containsKey(HEADER), received.headers().toString());
    }

    @Test
    void theQueryStringIsKept() throws Exception {
        RecordedRequest received =
                send("/v1/chat/completions?api-version=2024-06-01&trace=a%20b", "/ollama/v1/chat/completions");

        assertEquals("/ollama/v1/chat/completions?api-version=2024-06-01&trace=a%20b", received.path());
    }

    @Test
    void aQuestionMarkInTheQueryIsNotTakenForTheStartOfAnother() throws Exception {
        RecordedRequest received = send("/v1/chat/completions?next=/x?y", "/v2/chat");

        assertEquals("/v2/chat?next=/x?y", received.path());
    }

    @Test
    void withoutTheHeaderThePathIsLeftAlone() throws Exception {
        RecordedRequest received = send("/v1/chat/completions?stream=true", null);

        assertEquals("/v1/chat/completions?stream=true", received.path());
    }

    @Test
    void anEmptyHeaderLeavesThePathAloneAndIsRemoved() throws Exception {
        RecordedRequest received = send("/v1/chat/completions", "");

        assertEquals("/v1/chat/completions", received.path());
        assertFalse(received.headers().containsKey(HEADER), received.headers().toString());
    }

    /** Sends a chat request with the private header (none when null); returns what the instance got. */
    private RecordedRequest send(String path, String instancePath) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(envoy.url(path)))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"qwen3\",\"messages\":[]}"));
        if (instancePath != null) {
            request.header(HEADER, instancePath);
        }
        http.send(request.build(), HttpResponse.BodyHandlers.discarding());
        List<RecordedRequest> received = instance.requests();
        assertEquals(1, received.size(), received.toString());
        return received.get(0);
    }
}
