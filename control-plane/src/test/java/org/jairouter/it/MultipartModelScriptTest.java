package org.jairouter.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * multipart-model.lua in a real Envoy: the script reads the form field {@code model} of a
 * multipart/form-data body into dynamic metadata, or marks the body as lacking it or as not multipart,
 * and makes Envoy match the route again. The route here answers directly, reporting in headers what
 * the script wrote, so each request shows exactly what the router's routes would match on.
 */
class MultipartModelScriptTest {
    private static final String SCRIPT_FILTER = """
            - name: envoy.filters.http.lua
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua
                default_source_code: {filename: "%s"}
            """;
    private static final String ROUTES = """
            # Matches only once the script has written a model and the route was matched again.
            - match:
                prefix: /
                dynamic_metadata:
                - {filter: jairouter, path: [{key: model}], value: {present_match: true}}
              direct_response: {status: 200}
            - match: {prefix: /}
              direct_response: {status: 400}
            """;
    /** Every reply reports the metadata exactly, as JSON (a header could not carry a line break). */
    private static final String METADATA_REPLY = """
            local_reply_config:
              body_format:
                json_format:
                  model: "%DYNAMIC_METADATA(jairouter:model)%"
                  error: "%DYNAMIC_METADATA(jairouter:error)%"
            """;

    private static final String FILE_PART = "Content-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n"
            + "Content-Type: audio/wav\r\n\r\nRIFF\0\0\0\0WAVE name=\"model\" --not-a-boundary\r\n";

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    private static StaticEnvoy envoy;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void startEnvoy() throws Exception {
        Path script = StaticEnvoy.writeLuaScript(dir, "multipart-fields.lua", "multipart-model.lua");
        envoy = StaticEnvoy.start(
                StaticEnvoy.bootstrap(SCRIPT_FILTER.formatted(script), ROUTES, METADATA_REPLY, ""),
                dir.resolve("envoy"));
    }

    @AfterAll
    static void stopEnvoy() throws Exception {
        if (envoy != null) {
            envoy.close();
        }
    }

    @Test
    void readsTheModelWithAQuotedBoundary() throws Exception {
        String body = part("b0und", modelPart("whisper-large-v3")) + part("b0und", FILE_PART) + "--b0und--\r\n";

        assertModel("whisper-large-v3", post("multipart/form-data; boundary=\"b0und\"", body));
    }

    @Test
    void readsTheModelWithAnUnquotedBoundaryAndParametersAfterIt() throws Exception {
        String boundary = "----WebKitFormBoundary7MA4YWxkTrZu0gW";
        String body = part(boundary, modelPart("sdxl")) + "--" + boundary + "--\r\n";

        assertModel("sdxl", post("Multipart/Form-Data; BOUNDARY=" + boundary + "; charset=utf-8", body));
    }

    @Test
    void readsTheModelAfterTheFileAndAfterFieldsWithSimilarNames() throws Exception {
        String body = part("x", FILE_PART)
                + part("x", "Content-Disposition: form-data; name=\"model_version\"\r\n\r\n2\r\n")
                + part("x", "content-disposition: form-data; name=\"model\"\r\n\r\nwhisper-1\r\n")
                + "--x--\r\n";

        assertModel("whisper-1", post("multipart/form-data; boundary=x", body));
    }

    @Test
    void theValueEndsAtTheCrlfBeforeTheNextDelimiterOnly() throws Exception {
        String body = part("x", modelPart("a--x b\r\nc")) + "--x--\r\n";

        assertModel("a--x b\r\nc", post("multipart/form-data; boundary=x", body));
    }

    @Test
    void aFormWithoutTheModelFieldIsMissingTheModel() throws Exception {
        String body = part("x", FILE_PART) + "--x--\r\n";

        assertError("missing_model", post("multipart/form-data; boundary=x", body));
    }

    @Test
    void anEmptyModelFieldIsMissingTheModel() throws Exception {
        assertError("missing_model", post("multipart/form-data; boundary=x", part("x", modelPart("")) + "--x--\r\n"));
    }

    @Test
    void partsWithBareLineFeedsAreNotRead() throws Exception {
        String body = (part("x", modelPart("whisper-1")) + "--x--\r\n").replace("\r\n", "\n");

        assertError("missing_model", post("multipart/form-data; boundary=x", body));
    }

    @Test
    void aBodyThatIsNotMultipartIsInvalid() throws Exception {
        assertError("invalid_body", post("application/json", "{\"model\":\"whisper-1\"}"));
    }

    @Test
    void multipartWithoutABoundaryIsInvalid() throws Exception {
        assertError("invalid_body", post("multipart/form-data", part("x", modelPart("whisper-1"))));
    }

    private static String modelPart(String model) {
        return "Content-Disposition: form-data; name=\"model\"\r\n\r\n" + model + "\r\n";
    }

    private static String part(String boundary, String content) {
        return "--" + boundary + "\r\n" + content;
    }

    private HttpResponse<String> post(String contentType, String body) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(envoy.url("/v1/audio/transcriptions")))
                        .header("content-type", contentType)
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body.getBytes(StandardCharsets.ISO_8859_1)))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static void assertModel(String model, HttpResponse<String> response) throws Exception {
        assertEquals(200, response.statusCode(), response.body());
        assertEquals(new Metadata(model, null), Metadata.of(response));
    }

    private static void assertError(String error, HttpResponse<String> response) throws Exception {
        assertEquals(400, response.statusCode(), response.body());
        assertEquals(new Metadata(null, error), Metadata.of(response));
    }

    /** What the script wrote under the jairouter namespace; null for a key it did not write. */
    private record Metadata(String model, String error) {
        static Metadata of(HttpResponse<String> response) throws Exception {
            JsonNode json = JSON.readTree(response.body());
            return new Metadata(text(json.path("model")), text(json.path("error")));
        }

        private static String text(JsonNode value) {
            return value.isTextual() ? value.asText() : null;
        }
    }
}
