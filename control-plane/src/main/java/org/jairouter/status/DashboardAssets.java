package org.jairouter.status;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;

/**
 * The live dashboard's files (plain HTML, CSS and JavaScript in the jar), by URL path. A fixed set, so
 * no request can name any other resource; the page reads {@code /v1/status} and {@code /metrics}.
 */
final class DashboardAssets {
    /** One file, read once. */
    record Asset(byte[] bytes, String contentType) {
        void send(HttpExchange exchange) throws IOException {
            exchange.getResponseHeaders().set("content-type", contentType);
            // Revalidate: after an upgrade the browser must not mix old and new files.
            exchange.getResponseHeaders().set("cache-control", "no-cache");
            // The page loads only its own files and talks only to this server.
            exchange.getResponseHeaders().set("content-security-policy", "default-src 'self'");
            exchange.sendResponseHeaders(200, bytes.length);
            exchange.getResponseBody().write(bytes);
        }
    }

    private static final Map<String, Asset> BY_PATH = Map.of(
            "/", read("index.html", "text/html; charset=utf-8"),
            "/dashboard/dashboard.css", read("dashboard.css", "text/css; charset=utf-8"),
            "/dashboard/dashboard.js", read("dashboard.js", "text/javascript; charset=utf-8"),
            "/dashboard/prometheus.js", read("prometheus.js", "text/javascript; charset=utf-8"));

    private DashboardAssets() {}

    static Optional<Asset> at(String path) {
        return Optional.ofNullable(BY_PATH.get(path));
    }

    private static Asset read(String file, String contentType) {
        try (InputStream in = DashboardAssets.class.getResourceAsStream("dashboard/" + file)) {
            if (in == null) {
                throw new IllegalStateException("dashboard/" + file + " is missing from the jar");
            }
            return new Asset(in.readAllBytes(), contentType);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
