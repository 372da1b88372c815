package org.jairouter.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.jairouter.fixtures.StubBackend;
import org.junit.jupiter.api.Test;

/** With {@code server.expose-status: false} the status documents stay on the status port only. */
class StatusOffThePublicPortTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void statusDocumentsLeaveTheRouterPortAndModelsStay() throws Exception {
        try (StubBackend backend = StubBackend.start("chat-1");
                RouterHarness router =
                        RouterHarness.startWithServer("""
                        server:
                          address: 127.0.0.1
                          port: 0
                          expose-status: false
                        """, RouterHarness.oneChatInstance(backend.baseUrl()))) {
            String statusPort = "http://127.0.0.1:" + router.router().statusPort();

            assertEquals(404, get(router.baseUrl() + "/status"));
            assertEquals(404, get(router.baseUrl() + "/chat/status"));
            assertEquals(200, get(router.baseUrl() + "/models"));
            assertEquals(200, get(statusPort + "/v1/status"));
            assertEquals(200, get(statusPort + "/v1/chat/status"));
        }
    }

    private static int get(String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }
}
