package org.jairouter.it;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.jairouter.fixtures.StubBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Multipart uploads larger than the router's buffer limit: a model sent before the file routes the upload
 * as it streams; a model after the file still needs the whole body, so the limit holds (413). The bodies
 * are written by hand: the official Python SDK sends the model first, as here, but the Java SDK (4.x) sends
 * the file first, so it cannot show the streaming case (AllServicesThroughEnvoyTest covers it).
 */
class StreamingUploadsThroughEnvoyTest {
    private static final int LIMIT = 1024 * 1024;
    private static final int LARGE_FILE = 3 * LIMIT;
    private static final String BOUNDARY = "b0undary";

    private static StubBackend stt;
    private static RouterHarness router;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        stt = StubBackend.start("stt-1");
        router = RouterHarness.startWithServer(
                "server:\n  address: 127.0.0.1\n  port: 0\n  max-request-size: 1MB\n", """
                model:
                  services:
                    stt:
                      instances:
                        - name: "whisper-large"
                          base-url: "%s"
                """.formatted(stt.baseUrl()));
    }

    @AfterAll
    static void stop() throws Exception {
        if (router != null) {
            router.close();
        }
        if (stt != null) {
            stt.close();
        }
    }

    @BeforeEach
    void forgetRequests() {
        stt.clearRequests();
    }

    @Test
    void aModelBeforeALargeFileIsServed() throws Exception {
        HttpResponse<String> response = post(modelPart("whisper-large") + filePart(LARGE_FILE) + end());

        assertEquals(200, response.statusCode(), response.body());
        assertTrue(response.body().contains("heard " + LARGE_FILE + " bytes"), response.body());
        assertEquals("whisper-large", stt.requests().get(0).model());
    }

    @Test
    void aModelAfterALargeFileStillMeetsTheLimit() throws Exception {
        HttpResponse<String> response = post(filePart(LARGE_FILE) + modelPart("whisper-large") + end());

        assertEquals(413, response.statusCode(), response.body());
        assertEquals(0, stt.requestCount());
    }

    @Test
    void aModelAfterASmallFileIsReadFromTheWholeBody() throws Exception {
        HttpResponse<String> response = post(filePart(64 * 1024) + modelPart("whisper-large") + end());

        assertEquals(200, response.statusCode(), response.body());
        assertEquals("whisper-large", stt.requests().get(0).model());
    }

    @Test
    void anUnknownModelBeforeTheFileIsNotFound() throws Exception {
        HttpResponse<String> response = post(modelPart("no-such-model") + filePart(64 * 1024) + end());

        assertEquals(404, response.statusCode(), response.body());
        assertTrue(response.body().contains("model_not_found"), response.body());
    }

    private HttpResponse<String> post(String body) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(router.baseUrl() + "/audio/transcriptions"))
                        .header("content-type", "multipart/form-data; boundary=" + BOUNDARY)
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body.getBytes(ISO_8859_1)))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String modelPart(String model) {
        return "--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\n" + model + "\r\n";
    }

    private static String filePart(int bytes) {
        ByteArrayOutputStream part = new ByteArrayOutputStream();
        part.writeBytes(
                ("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"speech.wav\"\r\n"
                                + "Content-Type: audio/wav\r\n\r\n")
                        .getBytes(ISO_8859_1));
        part.writeBytes(new byte[bytes]);
        part.writeBytes("\r\n".getBytes(ISO_8859_1));
        return part.toString(ISO_8859_1);
    }

    private static String end() {
        return "--" + BOUNDARY + "--\r\n";
    }
}
