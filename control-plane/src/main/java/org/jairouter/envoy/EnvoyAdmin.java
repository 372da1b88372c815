package org.jairouter.envoy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Reads Envoy's admin interface: readiness and the address a listener actually bound. Plain GETs on
 * HttpURLConnection, which shares one keep-alive pool: a java.net.http client would bring a TLS context
 * and selector threads of its own to every poll.
 */
public final class EnvoyAdmin {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CONNECT_TIMEOUT_MS = 2_000;
    private static final int READ_TIMEOUT_MS = 5_000;
    private final String address;

    private record Response(int statusCode, String body) {}

    /** @param address host:port of the admin interface */
    public EnvoyAdmin(String address) {
        this.address = address;
    }

    public String address() {
        return address;
    }

    /** True once Envoy has its initial config and serves traffic. */
    public boolean isReady() throws IOException, InterruptedException {
        return get("/ready").statusCode() == 200;
    }

    /** The port a listener bound (it may have been configured as 0), if the listener is up. */
    public Optional<Integer> listenerPort(String name) throws IOException, InterruptedException {
        Response response = get("/listeners?format=json");
        if (response.statusCode() != 200) {
            return Optional.empty();
        }
        for (JsonNode listener : JSON.readTree(response.body()).path("listener_statuses")) {
            if (name.equals(listener.path("name").asText())) {
                JsonNode port =
                        listener.path("local_address").path("socket_address").path("port_value");
                return port.isInt() && port.asInt() > 0 ? Optional.of(port.asInt()) : Optional.empty();
            }
        }
        return Optional.empty();
    }

    /** Each cluster's endpoints as host:port, as Envoy currently has them. */
    public Map<String, Set<String>> clusterEndpoints() throws IOException, InterruptedException {
        Map<String, Set<String>> endpoints = new TreeMap<>();
        for (JsonNode cluster : clusters()) {
            Set<String> hosts = new TreeSet<>();
            for (JsonNode host : cluster.path("host_statuses")) {
                JsonNode address = host.path("address").path("socket_address");
                hosts.add(address.path("address").asText() + ":"
                        + address.path("port_value").asInt());
            }
            endpoints.put(cluster.path("name").asText(), hosts);
        }
        return endpoints;
    }

    /** Health and request counts of every endpoint of every cluster. */
    public List<HostStatus> hostStatuses() throws IOException, InterruptedException {
        return HostStatus.allIn(clustersJson());
    }

    private JsonNode clusters() throws IOException, InterruptedException {
        return JSON.readTree(clustersJson()).path("cluster_statuses");
    }

    private String clustersJson() throws IOException {
        Response response = get("/clusters?format=json");
        if (response.statusCode() != 200) {
            throw new IOException("Envoy admin /clusters answered " + response.statusCode());
        }
        return response.body();
    }

    private Response get(String path) throws IOException {
        HttpURLConnection connection = (HttpURLConnection)
                URI.create("http://" + address + path).toURL().openConnection(Proxy.NO_PROXY);
        connection.setConnectTimeout(CONNECT_TIMEOUT_MS);
        connection.setReadTimeout(READ_TIMEOUT_MS);
        int status = connection.getResponseCode();
        // Read to the end and close, so that the connection goes back to the keep-alive pool.
        try (InputStream body = status < 400 ? connection.getInputStream() : connection.getErrorStream()) {
            return new Response(status, body == null ? "" : new String(body.readAllBytes(), StandardCharsets.UTF_8));
        }
    }
}
