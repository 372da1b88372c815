package org.jairouter.xds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.envoyproxy.controlplane.cache.Resources.ResourceType;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.jairouter.config.ConfigLoader;
import org.jairouter.config.RouterConfig;
import org.jairouter.config.ServiceType;
import org.jairouter.ir.EndpointId;
import org.jairouter.ir.RouterIr;
import org.jairouter.translate.EnvoyResources;
import org.jairouter.translate.EnvoyTranslator;
import org.jairouter.translate.FleetEndpoints;
import org.jairouter.translate.LoadWeights;
import org.jairouter.translate.ResolvedHosts;
import org.jairouter.translate.StatusEndpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each xDS type is versioned on its own, so an edit makes Envoy fetch only the types it touched: an
 * instance edit travels by EDS alone, and republishing an unchanged config sends nothing.
 */
class SnapshotPublisherVersionsTest {
    private static final Set<ResourceType> XDS_TYPES =
            EnumSet.of(ResourceType.LISTENER, ResourceType.ROUTE, ResourceType.CLUSTER, ResourceType.ENDPOINT);
    private static final StatusEndpoint STATUS = new StatusEndpoint("127.0.0.1", 18001);
    private static final String CONFIG = """
            server:
              max-request-size: 32MB
            model:
              services:
                chat:
                  retry:
                    attempts: 2
                  health-check:
                    interval: 10s
                  instances:
                    - name: "qwen3:1.7B"
                      base-url: "http://10.0.0.11:8000"
                      weight: 1
                    - name: "qwen3:1.7B"
                      base-url: "http://10.0.0.12:8000"
            """;

    static Stream<Arguments> edits() {
        return Stream.of(
                Arguments.of("an instance's weight", "weight: 1", "weight: 5", EnumSet.of(ResourceType.ENDPOINT)),
                Arguments.of(
                        "an instance's address", "10.0.0.12:8000", "10.0.0.13:8000", EnumSet.of(ResourceType.ENDPOINT)),
                Arguments.of("the retry attempts", "attempts: 2", "attempts: 3", EnumSet.of(ResourceType.ROUTE)),
                // Envoy re-creates a changed cluster, which warms until it is sent its assignment again.
                Arguments.of(
                        "the health-check interval",
                        "interval: 10s",
                        "interval: 5s",
                        EnumSet.of(ResourceType.CLUSTER, ResourceType.ENDPOINT)),
                Arguments.of("the largest request", "32MB", "16MB", EnumSet.of(ResourceType.LISTENER)),
                Arguments.of(
                        "a new model",
                        "- name: \"qwen3:1.7B\"\n          base-url: \"http://10.0.0.12:8000\"",
                        "- name: \"llama3.1:8b\"\n          base-url: \"http://10.0.0.12:8000\"",
                        EnumSet.of(ResourceType.CLUSTER, ResourceType.ENDPOINT, ResourceType.ROUTE)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("edits")
    void anEditChangesOnlyTheVersionsOfTheTypesItTouches(
            String edit, String before, String after, Set<ResourceType> touched) throws Exception {
        assertEquals(
                touched,
                changedBy(CONFIG, before, after, SnapshotPublisherVersionsTest::versions),
                "types whose version changed after editing " + edit);
    }

    @Test
    void republishingAnUnchangedConfigChangesNoVersion() throws Exception {
        SnapshotPublisher publisher = new SnapshotPublisher();

        String firstVersion = publisher.publish(translate(CONFIG), 1);
        Map<ResourceType, String> first = versions(publisher);
        String secondVersion = publisher.publish(translate(CONFIG), 1);

        assertEquals(first, versions(publisher));
        assertEquals(firstVersion, secondVersion);
    }

    /** An Envoy joining moves only the fleet's endpoints, and the config keeps its version. */
    @Test
    void aNewFleetSizeChangesOnlyTheFleetsEndpoints() throws Exception {
        SnapshotPublisher publisher = new SnapshotPublisher();
        String configVersion = publisher.publish(translate(CONFIG), 1);
        Map<String, String> before = resourceVersions(publisher);

        assertEquals(configVersion, publisher.publish(translate(CONFIG), 2), "the config's version");
        Map<String, String> after = resourceVersions(publisher);

        assertEquals(
                Set.of("ENDPOINT " + FleetEndpoints.CLUSTER),
                after.keySet().stream()
                        .filter(key -> !after.get(key).equals(before.get(key)))
                        .collect(Collectors.toSet()));
        Snapshot snapshot = publisher.cache().getSnapshot(SnapshotPublisher.GROUP);
        assertEquals(
                2,
                ((ClusterLoadAssignment)
                                snapshot.resources(ResourceType.ENDPOINT).get(FleetEndpoints.CLUSTER))
                        .getEndpoints(0)
                        .getLbEndpointsCount());
    }

    private static final String TWO_MODELS = CONFIG + """
                    - name: "llama3.1:8b"
                      base-url: "http://10.0.0.21:8000"
            """;

    static Stream<Arguments> modelEdits() {
        return Stream.of(
                // The Responses API's lookup cluster holds every server once: it follows them. A model's
                // search for a stored response retries once per further instance: its routes follow the count.
                Arguments.of(
                        "one instance of llama3.1:8b moves",
                        "10.0.0.21:8000",
                        "10.0.0.22:8000",
                        Set.of("ENDPOINT chat~llama3_1_8b", "ENDPOINT chat~~responses")),
                Arguments.of(
                        "llama3.1:8b gets a second instance",
                        "10.0.0.21:8000\"\n",
                        "10.0.0.21:8000\"\n        - name: \"llama3.1:8b\"\n          base-url: \"http://10.0.0.22:8000\"\n",
                        Set.of("ENDPOINT chat~llama3_1_8b", "ENDPOINT chat~~responses", "ROUTE jairouter_routes")),
                Arguments.of(
                        "the service's health-check interval changes: every cluster is re-created by Envoy and"
                                + " must be sent its unchanged assignment again, or it warms for the initial fetch"
                                + " timeout",
                        "interval: 10s",
                        "interval: 5s",
                        Set.of(
                                "CLUSTER chat~qwen3_1_7B",
                                "ENDPOINT chat~qwen3_1_7B",
                                "CLUSTER chat~llama3_1_8b",
                                "ENDPOINT chat~llama3_1_8b")),
                // The old model's cluster lingers, unchanged, until retired (below).
                Arguments.of(
                        "llama3.1:8b is renamed mistral:7b (a new model)",
                        "llama3.1:8b",
                        "mistral:7b",
                        Set.of("CLUSTER chat~mistral_7b", "ENDPOINT chat~mistral_7b", "ROUTE jairouter_routes")));
    }

    /**
     * Resource by resource, as a delta xDS stream would send them: an edit to one model leaves every other
     * model's cluster and endpoints as they were. All routes are one RouteConfiguration, so a model's
     * route travels with the others.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("modelEdits")
    void anEditToOneModelChangesOnlyThatModelsResources(String edit, String before, String after, Set<String> touched)
            throws Exception {
        assertEquals(
                touched,
                changedBy(TWO_MODELS, before, after, SnapshotPublisherVersionsTest::resourceVersions),
                "resources whose version changed after: " + edit);
    }

    /**
     * A dropped model's cluster and assignment stay published until the router retires them (once every
     * Envoy took the routes without it), and the config's version does not depend on them.
     */
    @Test
    void aDroppedClusterLingersUntilRetired() throws Exception {
        SnapshotPublisher publisher = new SnapshotPublisher();
        publisher.publish(translate(TWO_MODELS), 1);
        String renamed = TWO_MODELS.replace("llama3.1:8b", "mistral:7b");

        String lingering = publisher.publish(translate(renamed), 1);
        assertEquals(
                Set.of("CLUSTER chat~llama3_1_8b", "ENDPOINT chat~llama3_1_8b"),
                named("llama3_1_8b", resourceVersions(publisher).keySet()));
        assertTrue(publisher.hasLingering());

        publisher.retire(publisher.publishes());
        String retired = publisher.publish(translate(renamed), 1);
        assertEquals(Set.of(), named("llama3_1_8b", resourceVersions(publisher).keySet()));
        assertFalse(publisher.hasLingering());
        assertEquals(lingering, retired, "the version names the config, lingering clusters or not");
    }

    private static Set<String> named(String part, Set<String> resources) {
        return resources.stream().filter(name -> name.contains(part)).collect(Collectors.toSet());
    }

    /** Publishes the config, then the edited config: the keys whose version differs between the two. */
    private static <K> Set<K> changedBy(
            String config, String before, String after, Function<SnapshotPublisher, Map<K, String>> versions)
            throws Exception {
        String edited = config.replace(before, after);
        assertNotEquals(config, edited, "the edit must apply to the config");
        SnapshotPublisher publisher = new SnapshotPublisher();
        publisher.publish(translate(config), 1);
        Map<K, String> first = versions.apply(publisher);
        publisher.publish(translate(edited), 1);
        Map<K, String> second = versions.apply(publisher);
        return Stream.concat(first.keySet().stream(), second.keySet().stream())
                .filter(key -> !Objects.equals(first.get(key), second.get(key)))
                .collect(Collectors.toSet());
    }

    /** "TYPE name" of every resource to its own version, as the snapshot hands them to a delta stream. */
    private static Map<String, String> resourceVersions(SnapshotPublisher publisher) {
        Snapshot snapshot = publisher.cache().getSnapshot(SnapshotPublisher.GROUP);
        Map<String, String> versions = new HashMap<>();
        for (ResourceType type : XDS_TYPES) {
            snapshot.versionedResources(type)
                    .forEach((name, resource) -> versions.put(type + " " + name, resource.version()));
        }
        return versions;
    }

    @Test
    void newLoadAwareWeightsChangeOnlyTheEndpoints() throws Exception {
        String loadAware =
                CONFIG.replace("      retry:", "      load-balance:\n        type: load-aware\n      retry:");
        RouterConfig config =
                ConfigLoader.parse(loadAware, "application.yml", Map.of()).config();
        SnapshotPublisher publisher = new SnapshotPublisher();
        RouterIr ir = RouterIr.of(config);
        publisher.publish(EnvoyTranslator.translate(ir, hostsOf(config), STATUS), 1);
        Map<ResourceType, String> first = versions(publisher);

        EndpointId busy = ir.endpoint(
                        ServiceType.CHAT,
                        config.services().get(ServiceType.CHAT).instances().get(1))
                .orElseThrow();
        EnvoyResources after =
                EnvoyTranslator.translate(ir, hostsOf(config), new LoadWeights(Map.of(busy, 25)), STATUS);
        publisher.publish(after, 1);
        Map<ResourceType, String> second = versions(publisher);

        assertEquals(
                EnumSet.of(ResourceType.ENDPOINT),
                XDS_TYPES.stream()
                        .filter(type -> !first.get(type).equals(second.get(type)))
                        .collect(Collectors.toCollection(() -> EnumSet.noneOf(ResourceType.class))));
        List<Integer> weights = after.endpoints().get(0).getEndpoints(0).getLbEndpointsList().stream()
                .map(endpoint -> endpoint.getLoadBalancingWeight().getValue())
                .toList();
        assertEquals(List.of(100, 25), weights, "configured weight 1 times the share; the unread instance keeps 100");
    }

    private static Map<ResourceType, String> versions(SnapshotPublisher publisher) {
        Snapshot snapshot = publisher.cache().getSnapshot(SnapshotPublisher.GROUP);
        return XDS_TYPES.stream().collect(Collectors.toMap(type -> type, snapshot::version));
    }

    /** Each call loads and translates anew, as a reload does: equal content must still version alike. */
    private static EnvoyResources translate(String yaml) throws Exception {
        RouterConfig config =
                ConfigLoader.parse(yaml, "application.yml", Map.of()).config();
        return EnvoyTranslator.translate(RouterIr.of(config), hostsOf(config), STATUS);
    }

    /** The hosts are IP literals: each resolves to itself. */
    private static ResolvedHosts hostsOf(RouterConfig config) {
        return new ResolvedHosts(config.services().values().stream()
                .flatMap(s -> s.instances().stream())
                .collect(Collectors.toMap(i -> i.host(), i -> i.host(), (a, b) -> a)));
    }
}
