package org.jairouter.deploy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import org.jairouter.config.ServiceType;

/**
 * A request to any of the seven endpoints, built from the service type alone so that one scenario
 * covers them all. The JSON body carries every field any JSON endpoint requires (servers ignore the
 * rest); the multipart body carries both an audio file and an image.
 */
final class ModelRequests {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String BOUNDARY = "jairouter-deploy-test";

    private ModelRequests() {}

    static HttpRequest to(URI base, ServiceType service, String model) {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(service.publicPath()));
        return switch (service.modelSource().kind()) {
            case JSON ->
                request.header("content-type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(
                                jsonBody(model, false).toString()))
                        .build();
            case MULTIPART ->
                request.header("content-type", "multipart/form-data; boundary=" + BOUNDARY)
                        .POST(HttpRequest.BodyPublishers.ofByteArray(multipartBody(model)))
                        .build();
            case QUERY, HEADER -> throw new IllegalArgumentException("built-in services read a body: " + service);
        };
    }

    /** A streamed chat completion: server-sent events. */
    static HttpRequest chatStream(URI base, String model) {
        return HttpRequest.newBuilder(base.resolve(ServiceType.CHAT.publicPath()))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(jsonBody(model, true).toString()))
                .build();
    }

    private static ObjectNode jsonBody(String model, boolean stream) {
        ObjectNode body = JSON.createObjectNode()
                .put("model", model)
                .put("stream", stream)
                .put("input", "Hello")
                .put("query", "capital of France")
                .put("prompt", "a cat")
                .put("voice", "alloy");
        body.putArray("messages").addObject().put("role", "user").put("content", "Hello");
        body.putArray("documents").add("Paris").add("Berlin");
        return body;
    }

    private static byte[] multipartBody(String model) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        part(body, "form-data; name=\"model\"", model.getBytes(StandardCharsets.UTF_8));
        part(body, "form-data; name=\"prompt\"", "add a hat".getBytes(StandardCharsets.UTF_8));
        part(body, "form-data; name=\"file\"; filename=\"speech.wav\"", new byte[2048]);
        part(body, "form-data; name=\"image\"; filename=\"cat.png\"", new byte[2048]);
        body.writeBytes(("--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return body.toByteArray();
    }

    private static void part(ByteArrayOutputStream body, String disposition, byte[] content) {
        body.writeBytes(("--" + BOUNDARY + "\r\ncontent-disposition: " + disposition + "\r\n\r\n")
                .getBytes(StandardCharsets.UTF_8));
        body.writeBytes(content);
        body.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
    }
}
