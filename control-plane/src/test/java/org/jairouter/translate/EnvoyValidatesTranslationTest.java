package org.jairouter.translate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.bootstrap.v3.ClusterManager;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.bootstrap.internal_listener.v3.InternalListener;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.jairouter.envoy.EnvoyBinary;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real Envoy binary, in {@code --mode validate}, accepts what the translator generates for every
 * golden case. The dynamic resources are inlined into a static bootstrap: RDS becomes an inline route
 * table, EDS clusters become static clusters carrying their endpoints.
 */
class EnvoyValidatesTranslationTest {
    /** Validations run side by side; each is a short-lived Envoy process, mostly start-up. */
    private static final int CONCURRENT_VALIDATIONS = 4;

    @TempDir
    Path dir;

    @TestFactory
    Stream<DynamicTest> envoyAcceptsTheTranslationOfEveryGoldenCase() {
        List<Path> cases = TranslatorGoldenTest.cases().toList();
        ExecutorService pool = Executors.newFixedThreadPool(CONCURRENT_VALIDATIONS);
        Map<Path, Future<Validation>> results = cases.stream()
                .collect(Collectors.toMap(
                        Function.identity(),
                        folder -> pool.submit(
                                () -> validate(folder, staticBootstrap(TranslatorGoldenTest.translate(folder))))));
        // The submitted validations still run; the pool only stops taking new ones.
        pool.shutdown();
        return cases.stream()
                .map(folder -> dynamicTest(folder.getFileName().toString(), () -> {
                    Validation result = results.get(folder).get(2, TimeUnit.MINUTES);
                    assertEquals(0, result.exitCode(), result.output());
                }));
    }

    /** Proves the check can fail: a route to a cluster that does not exist is refused. */
    @Test
    void envoyRefusesARouteToAMissingCluster() throws Exception {
        EnvoyResources resources = TranslatorGoldenTest.translate(TranslatorGoldenTest.GOLDEN.resolve("name-clash"));
        EnvoyResources broken = new EnvoyResources(
                resources.listeners(),
                resources.routes(),
                resources.clusters().stream()
                        .filter(c -> !c.getName().startsWith("chat~"))
                        .toList(),
                resources.endpoints());

        Validation result = validate(TranslatorGoldenTest.GOLDEN.resolve("name-clash"), staticBootstrap(broken));

        assertNotEquals(0, result.exitCode(), result.output());
        assertTrue(result.output().contains("unknown cluster"), result.output());
    }

    private record Validation(int exitCode, String output) {}

    /** Runs Envoy in the case folder, so that a file the case refers to by a relative path is found. */
    private Validation validate(Path caseFolder, Bootstrap bootstrap) throws Exception {
        Path file = Files.writeString(
                dir.resolve(caseFolder.getFileName() + ".bootstrap.json"), EnvoyJson.print(bootstrap));
        Path envoy = EnvoyBinary.locate(Optional.empty(), EnvoyBinary.defaultInstallDir());
        Process process = new ProcessBuilder(
                        envoy.toString(),
                        "--mode",
                        "validate",
                        "-c",
                        file.toString(),
                        "--disable-hot-restart",
                        "--log-level",
                        "error")
                .directory(caseFolder.toFile())
                .redirectErrorStream(true)
                .start();
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
            statics.addClusters(
                    cluster.getType() != Cluster.DiscoveryType.EDS
                            ? cluster
                            : cluster.toBuilder()
                                    .clearEdsClusterConfig()
                                    .setType(Cluster.DiscoveryType.STATIC)
                                    .setLoadAssignment(endpoints.get(cluster.getName()))
                                    .build());
        }
        // As the bootstrap template: the fleet is the local cluster that divides rate limits.
        statics.addClusters(Cluster.newBuilder()
                .setName(FleetEndpoints.CLUSTER)
                .setType(Cluster.DiscoveryType.STATIC)
                .setLoadAssignment(FleetEndpoints.of(1)));
        return Bootstrap.newBuilder()
                // As the bootstrap template: the saturation gates are internal listeners.
                .addBootstrapExtensions(TypedExtensionConfig.newBuilder()
                        .setName("envoy.bootstrap.internal_listener")
                        .setTypedConfig(Any.pack(InternalListener.getDefaultInstance())))
                .setClusterManager(ClusterManager.newBuilder().setLocalClusterName(FleetEndpoints.CLUSTER))
                .setAdmin(io.envoyproxy.envoy.config.bootstrap.v3.Admin.newBuilder()
                        .setAddress(Address.newBuilder()
                                .setSocketAddress(SocketAddress.newBuilder()
                                        .setAddress("127.0.0.1")
                                        .setPortValue(0))))
                .setStaticResources(statics)
                .build();
    }

    private static Listener inlineRoutes(Listener listener, RouteConfiguration routes) throws Exception {
        Listener.Builder builder = listener.toBuilder();
        var filter = builder.getFilterChainsBuilder(0).getFiltersBuilder(0);
        HttpConnectionManager hcm = filter.getTypedConfig().unpack(HttpConnectionManager.class);
        if (!hcm.hasRds()) {
            return listener;
        }
        hcm = hcm.toBuilder().clearRds().setRouteConfig(routes).build();
        filter.setTypedConfig(Any.pack(hcm));
        return builder.build();
    }
}
