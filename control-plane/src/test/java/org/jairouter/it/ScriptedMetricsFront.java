package org.jairouter.it;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * The status port as a browser sees it (the dashboard's files and /v1/status, passed on from the real
 * status server), except that {@code /metrics} answers a script: the text for the n-th scrape, or 404.
 * Lets a test know exactly what the dashboard was given.
 */
final class ScriptedMetricsFront implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private final HttpServer server;

    private ScriptedMetricsFront(HttpServer server) {
        this.server = server;
    }

    /** @param metrics the text of the n-th scrape (from 1), or empty to answer 404 */
    static ScriptedMetricsFront start(int statusPort, IntFunction<Optional<String>> metrics) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        AtomicInteger scrapes = new AtomicInteger();
        server.createContext("/", exchange -> {
            try (exchange) {
                if (exchange.getRequestURI().getPath().equals("/metrics")) {
                    Optional<String> text = metrics.apply(scrapes.incrementAndGet());
                    send(
                            exchange,
                            text.isPresent() ? 200 : 404,
                            "text/plain; version=0.0.4; charset=utf-8",
                            text.orElse("not found").getBytes(StandardCharsets.UTF_8));
                } else {
                    passOn(exchange, statusPort);
                }
            }
        });
        server.start();
        return new ScriptedMetricsFront(server);
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/";
    }

    private static void passOn(HttpExchange exchange, int statusPort) throws IOException {
        try {
            HttpResponse<byte[]> response = HTTP.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + statusPort + exchange.getRequestURI()))
                            .build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            send(
                    exchange,
                    response.statusCode(),
                    response.headers().firstValue("content-type").orElse(""),
                    response.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    private static void send(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("content-type", contentType);
        exchange.sendResponseHeaders(status, body.length);
        exchange.getResponseBody().write(body);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
