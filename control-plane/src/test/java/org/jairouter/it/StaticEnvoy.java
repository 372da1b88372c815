package org.jairouter.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.jairouter.envoy.EnvoyAdmin;
import org.jairouter.envoy.EnvoyBinary;
import org.jairouter.envoy.EnvoyProcess;
import org.jairouter.fixtures.Conditions;
import org.jairouter.translate.LuaScripts;

/**
 * A real Envoy on a small static config written by the test, for checking one piece (such as a Lua
 * script) without a control plane. Admin and the one listener bind port 0 on loopback; this finds
 * the ports Envoy chose.
 */
final class StaticEnvoy implements AutoCloseable {
    static final String LISTENER = "probe";

    private final EnvoyProcess process;
    private final int port;

    private StaticEnvoy(EnvoyProcess process, int port) {
        this.process = process;
        this.port = port;
    }

    /**
     * A bootstrap whose listener runs the given HTTP filters, then the router over the given routes.
     * Each snippet is YAML written from column 0; "" leaves it out.
     *
     * @param httpFilters       filter list items that run before the router
     * @param routes            route list items of the one virtual host
     * @param connectionManager further fields of the HTTP connection manager
     * @param clusters          cluster list items
     */
    static String bootstrap(String httpFilters, String routes, String connectionManager, String clusters) {
        return """
                admin:
                  address: {socket_address: {address: 127.0.0.1, port_value: 0}}
                static_resources:
                  listeners:
                  - name: %s
                    address: {socket_address: {address: 127.0.0.1, port_value: 0}}
                    filter_chains:
                    - filters:
                      - name: envoy.filters.network.http_connection_manager
                        typed_config:
                          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                          stat_prefix: probe
                          http_filters:
                %s          - name: envoy.filters.http.router
                            typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router}
                          route_config:
                            virtual_hosts:
                            - name: probe
                              domains: ["*"]
                              routes:
                %s%s  clusters:
                %s""".formatted(
                        LISTENER,
                        httpFilters.indent(10),
                        routes.indent(14),
                        connectionManager.indent(10),
                        clusters.isEmpty() ? "  []\n" : clusters.indent(2));
    }

    static StaticEnvoy start(String bootstrap, Path workDir) throws Exception {
        Path binary = EnvoyBinary.locate(Optional.empty(), EnvoyBinary.defaultInstallDir());
        EnvoyProcess process = EnvoyProcess.startOrAdopt(binary, bootstrap, workDir, "warning", 1);
        try {
            AtomicInteger port = new AtomicInteger();
            Conditions.await("Envoy serving its listener", Duration.ofMinutes(1), () -> {
                Optional<Integer> bound =
                        process.adminAddress().map(EnvoyAdmin::new).flatMap(StaticEnvoy::listenerPort);
                bound.ifPresent(port::set);
                return bound.isPresent();
            });
            return new StaticEnvoy(process, port.get());
        } catch (RuntimeException | Error | InterruptedException e) {
            process.close();
            throw e;
        }
    }

    /** Copies a classpath resource into the work folder, for a config to name as a file. */
    /** Writes the resources, one after the other, into one file named after the last (a script after its library). */
    /** The Lua script made of these files (as the translator makes it), written into workDir under the last one's name. */
    static Path writeLuaScript(Path workDir, String... files) throws IOException {
        return Files.writeString(workDir.resolve(files[files.length - 1]), LuaScripts.of(files));
    }

    private static Optional<Integer> listenerPort(EnvoyAdmin admin) {
        try {
            return admin.isReady() ? admin.listenerPort(LISTENER) : Optional.empty();
        } catch (IOException notYetServing) {
            return Optional.empty();
        } catch (InterruptedException e) {
            // The waiting loop's next sleep sees the flag and ends the wait.
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    String url(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    @Override
    public void close() throws IOException {
        process.close();
    }
}
