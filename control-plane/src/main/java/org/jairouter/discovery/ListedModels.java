package org.jairouter.discovery;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.List;
import java.util.TreeSet;
import org.jairouter.config.ServiceType;

/**
 * A server's answer to OpenAI's {@code GET /v1/models} ({@code {"object":"list","data":[{"id":...}]}}, as vLLM,
 * SGLang, Ollama, LocalAI and Xinference give it), read into the models the router serves of it: sorted by
 * name, so that a server listing them in another order changes nothing; at most {@link #MAX_PER_SERVER}, so
 * that the clusters, routes and metric labels of one server stay bounded; names the router can route only
 * (Envoy refuses longer ones).
 *
 * @param models  the models to serve
 * @param listed  how many distinct names the server listed, those left out included
 */
record ListedModels(List<String> models, int listed) {
    /** The most models taken from one server: a server with more is served its first ones by name, with a warning. */
    static final int MAX_PER_SERVER = 100;

    private static final ObjectMapper JSON = new ObjectMapper();

    ListedModels {
        models = List.copyOf(models);
    }

    static ListedModels read(String body) throws IOException {
        JsonNode data = JSON.readTree(body).path("data");
        if (!data.isArray()) {
            throw new IOException("expected OpenAI's model list, {\"data\": [{\"id\": ...}]}, got no 'data' list");
        }
        TreeSet<String> names = new TreeSet<>();
        for (JsonNode model : data) {
            String id = model.path("id").asText("");
            if (!id.isBlank() && id.length() <= ServiceType.MAX_MODEL_NAME) {
                names.add(id);
            }
        }
        return new ListedModels(names.stream().limit(MAX_PER_SERVER).toList(), names.size());
    }

    boolean capped() {
        return listed > models.size();
    }
}
