package org.jairouter.status;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import org.jairouter.config.ApiKey;
import org.jairouter.config.ServiceType;
import org.jairouter.translate.Names;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Serves the router's status as JSON, and the live dashboard at {@code /}. Binds loopback unless told otherwise. */
public final class StatusServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StatusServer.class);
    private static final ObjectMapper JSON = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .registerModule(new Jdk8Module())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);
    /** Where OpenAI's model retrieval asks for one model: {@code GET /v1/models/{model}}. */
    private static final String MODEL_PATH = "/v1/models/";

    private final HttpServer server;

    private StatusServer(HttpServer server) {
        this.server = server;
    }

    public static StatusServer start(String address, int port, StatusReport report, HttpHandler metrics)
            throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(address, port), 64);
        server.createContext("/metrics", metrics);
        server.createContext("/", exchange -> {
            try (exchange) {
                answer(exchange, report);
            } catch (RuntimeException e) {
                LOG.warn("Status request {} failed", exchange.getRequestURI().getPath(), e);
                reply(exchange, 500, OpenAiError.of("Status unavailable: " + e));
            }
        });
        server.setExecutor(Executors.newFixedThreadPool(2, runnable -> {
            Thread thread = new Thread(runnable, "status-http");
            thread.setDaemon(true);
            return thread;
        }));
        server.start();
        LOG.info(
                "Status on http://{}:{}/v1/status, dashboard on http://{}:{}/",
                address,
                server.getAddress().getPort(),
                address,
                server.getAddress().getPort());
        return new StatusServer(server);
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private static void answer(HttpExchange exchange, StatusReport report) throws IOException {
        String path = exchange.getRequestURI().getPath();
        if (!exchange.getRequestMethod().equals("GET")
                && !exchange.getRequestMethod().equals("HEAD")) {
            reply(
                    exchange,
                    405,
                    OpenAiError.of("Invalid method for URL (" + exchange.getRequestMethod() + " " + path
                            + "); use GET or HEAD."));
        } else if (path.equals("/v1/status")) {
            Optional<ApiKey> caller = caller(exchange, report);
            reply(exchange, 200, caller.isPresent() ? report.forKey(caller.get()) : report.overall());
        } else if (path.equals("/v1/models")) {
            reply(exchange, 200, report.models(caller(exchange, report)));
        } else if (path.startsWith(MODEL_PATH) && path.length() > MODEL_PATH.length()) {
            // The id is the rest of the path, decoded: model names may hold '/' (Qwen/Qwen3-8B), sent as is or as %2F.
            String id = path.substring(MODEL_PATH.length());
            Optional<Map<String, Object>> model = report.model(id, caller(exchange, report));
            if (model.isPresent()) {
                reply(exchange, 200, model.get());
            } else {
                reply(
                        exchange,
                        404,
                        OpenAiError.modelNotFound(
                                "The model '" + shortened(id) + "' does not exist or is not served by this router."));
            }
        } else if (DashboardAssets.at(path).isPresent()) {
            DashboardAssets.at(path).get().send(exchange);
        } else {
            Optional<ServiceType> service = ServiceType.builtIn().stream()
                    .filter(type -> type.statusPath().orElseThrow().equals(path))
                    .findFirst();
            Optional<ApiKey> caller = caller(exchange, report);
            if (service.isPresent()
                    && caller.isPresent()
                    && !caller.get().services().contains(service.get())) {
                // As the service's own path answers this key.
                reply(exchange, 403, OpenAiError.permissionDenied("Your API key may not call " + path + "."));
                return;
            }
            Optional<ServiceReport> status = service.flatMap(report::service);
            if (status.isPresent()) {
                reply(
                        exchange,
                        200,
                        caller.isPresent() ? status.get().forKey(service.get(), caller.get()) : status.get());
            } else {
                reply(
                        exchange,
                        404,
                        OpenAiError.of(
                                service.isPresent()
                                        ? "Service '" + service.get().key() + "' is not configured."
                                        : "Invalid URL (GET " + path + ")"));
            }
        }
    }

    /**
     * The client key a request through the router's port was authenticated with: Envoy names it in a
     * header it sets itself (a client's own copy is removed first). The status port's own clients name no
     * key and see everything.
     */
    private static Optional<ApiKey> caller(HttpExchange exchange, StatusReport report) {
        return report.caller(Optional.ofNullable(exchange.getRequestHeaders().getFirst(Names.KEY_ID_HEADER)));
    }

    /** A reply never echoes kilobytes a client sent: an id is cut to the longest model name a config may hold. */
    private static String shortened(String id) {
        return id.length() <= ServiceType.MAX_MODEL_NAME ? id : id.substring(0, ServiceType.MAX_MODEL_NAME);
    }

    private static void reply(HttpExchange exchange, int status, Object body) throws IOException {
        byte[] bytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(body);
        exchange.getResponseHeaders().set("content-type", "application/json");
        if (exchange.getRequestMethod().equals("HEAD")) {
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
