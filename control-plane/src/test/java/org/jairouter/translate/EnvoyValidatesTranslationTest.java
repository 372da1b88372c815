package org.jairouter.translate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.jairouter.envoy.EnvoyBinary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The real Envoy binary, in {@code --mode validate}, accepts everything the translator generates. The
 * dynamic resources are inlined into a static bootstrap: RDS becomes an inline route table, EDS
 * clusters become static clusters carrying their endpoints.
 */
class EnvoyValidatesTranslationTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @MethodSource("org.jairouter.translate.TranslatorGoldenTest#configs")
    void envoyAcceptsTheTranslation(Path config) throws Exception {
        EnvoyResources resources = TranslatorGoldenTest.translate(config);

        Validation result = validate(staticBootstrap(resources));

        assertEquals(0, result.exitCode(), result.output());
    }

    /** Proves the check can fail: a route to a cluster that does not exist is refused. */
    @Test
    void envoyRefusesARouteToAMissingCluster() throws Exception {
        EnvoyResources resources = TranslatorGoldenTest.translate(TranslatorGoldenTest.GOLDEN.resolve("name-clash.yml"));
        EnvoyResources broken = new EnvoyResources(resources.listeners(), resources.routes(),
                resources.clusters().stream().filter(c -> !c.getName().startsWith("chat~")).toList(),
                resources.endpoints());

        Validation result = validate(staticBootstrap(broken));

        assertNotEquals(0, result.exitCode(), result.output());
        assertTrue(result.output().contains("unknown cluster"), result.output());
    }

    private record Validation(int exitCode, String output) {
    }

    private Validation validate(Bootstrap bootstrap) throws Exception {
        Path file = Files.writeString(dir.resolve("bootstrap.json"), EnvoyJson.print(bootstrap));
        Path envoy = EnvoyBinary.locate(Optional.empty(), EnvoyBinary.defaultInstallDir());
        Process process = new ProcessBuilder(envoy.toString(), "--mode", "validate", "-c", file.toString(),
                "--disable-hot-restart", "--log-level", "error")
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(2, TimeUnit.MINUTES), "envoy --mode validate did not finish");
        return new Validation(process.exitValue(), output);
    }

    private static Bootstrap staticBootstrap(EnvoyResources resources) throws Exception {
        RouteConfiguration routes = resources.routes().get(0);
        var endpoints = resources.endpoints().stream()
                .collect(Collectors.toMap(ClusterLoadAssignment::getClusterName, Function.identity()));
        Bootstrap.StaticResources.Builder statics = Bootstrap.StaticResources.newBuilder();
        for (Listener listener : resources.listeners()) {
            statics.addListeners(inlineRoutes(listener, routes));
        }
        for (Cluster cluster : resources.clusters()) {
            statics.addClusters(cluster.getType() != Cluster.DiscoveryType.EDS ? cluster : cluster.toBuilder()
                    .clearEdsClusterConfig()
                    .setType(Cluster.DiscoveryType.STATIC)
                    .setLoadAssignment(endpoints.get(cluster.getName()))
                    .build());
        }
        return Bootstrap.newBuilder()
                .setAdmin(io.envoyproxy.envoy.config.bootstrap.v3.Admin.newBuilder().setAddress(Address.newBuilder()
                        .setSocketAddress(SocketAddress.newBuilder().setAddress("127.0.0.1").setPortValue(0))))
                .setStaticResources(statics)
                .build();
    }

    private static Listener inlineRoutes(Listener listener, RouteConfiguration routes) throws Exception {
        Listener.Builder builder = listener.toBuilder();
        var filter = builder.getFilterChainsBuilder(0).getFiltersBuilder(0);
        HttpConnectionManager hcm = filter.getTypedConfig().unpack(HttpConnectionManager.class).toBuilder()
                .clearRds()
                .setRouteConfig(routes)
                .build();
        filter.setTypedConfig(Any.pack(hcm));
        return builder.build();
    }
}
