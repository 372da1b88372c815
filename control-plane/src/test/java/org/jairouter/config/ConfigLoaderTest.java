package org.jairouter.config;

import static org.jairouter.config.ConfigTexts.assertProblem;
import static org.jairouter.config.ConfigTexts.load;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jairouter.ir.ModelIr;
import org.jairouter.ir.RouterIr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Valid configs: what they parse into, and the warnings they give. */
class ConfigLoaderTest {

    /** Every service, JAiRouter's camelCase image keys, and instances exercising each default. */
    private static final String FULL = """
            server:
              port: 9090
              address: 127.0.0.1
              max-request-size: 64MB
            model:
              services:
                chat:
                  instances:
                    - name: qwen3:1.7B
                      base-url: http://10.0.0.5:9997/api
                      path: /v1/chat/completions
                      weight: 3
                    - name: "qwen3:8B"
                      base-url: http://10.0.0.6
                    - name: qwen3:1.7B
                      base-url: http://10.0.0.7:8000
                      status: inactive
                embedding:
                  instances:
                    - name: bge-m3
                      base-url: http://10.0.0.8:8001
                rerank:
                  instances:
                    - name: bge-reranker-v2-m3
                      base-url: http://10.0.0.8:8002/
                tts:
                  instances:
                    - name: cosyvoice-300m
                      base-url: http://10.0.0.9:8003
                stt:
                  instances:
                    - name: faster-whisper-tiny
                      base-url: http://10.0.0.9:8004
                imgGen:
                  instances:
                    - name: stable-diffusion-2-1
                      base-url: http://10.0.0.10:8005
                imgEdit:
                  instances:
                    - name: stable-diffusion-2-1-edit
                      base-url: http://10.0.0.10:8006
            """;

    private static final Instance CHAT_PREFIXED = Instance.builder()
            .model("qwen3:1.7B")
            .host("10.0.0.5")
            .port(9997)
            .upstreamPath("/api/v1/chat/completions")
            .weight(3)
            .baseUrl("http://10.0.0.5:9997/api")
            .build();
    private static final Instance CHAT_DEFAULTS = Instance.builder()
            .model("qwen3:8B")
            .host("10.0.0.6")
            .port(80)
            .upstreamPath("/v1/chat/completions")
            .baseUrl("http://10.0.0.6")
            .build();
    private static final Instance CHAT_INACTIVE = Instance.builder()
            .model("qwen3:1.7B")
            .host("10.0.0.7")
            .port(8000)
            .upstreamPath("/v1/chat/completions")
            .baseUrl("http://10.0.0.7:8000")
            .active(false)
            .build();

    private static RouterConfig full() {
        return load(FULL).config();
    }

    @Test
    void fullConfigHasAllSevenServicesInEnumOrder() {
        assertEquals(ServiceType.builtIn(), List.copyOf(full().services().keySet()));
    }

    @Test
    void fullConfigHasNoWarnings() {
        assertEquals(List.of(), load(FULL).warnings());
    }

    @Test
    void camelCaseImageKeysAreTheImageServices() {
        RouterConfig config = full();
        assertEquals(
                "stable-diffusion-2-1",
                config.service(ServiceType.IMG_GEN).instances().get(0).model());
        assertEquals(
                "stable-diffusion-2-1-edit",
                config.service(ServiceType.IMG_EDIT).instances().get(0).model());
    }

    @Test
    void kebabCaseImageKeysAreTheImageServices() {
        RouterConfig config = load("""
                model:
                  services:
                    img-gen:
                      instances: [{name: sd-gen, base-url: "http://h"}]
                    img-edit:
                      instances: [{name: sd-edit, base-url: "http://h"}]
                """).config();
        assertEquals(
                "sd-gen", config.service(ServiceType.IMG_GEN).instances().get(0).model());
        assertEquals(
                "sd-edit",
                config.service(ServiceType.IMG_EDIT).instances().get(0).model());
    }

    @Test
    void instancesKeepConfigOrderWithModelHostPortPathWeightAndStatus() {
        assertEquals(
                List.of(CHAT_PREFIXED, CHAT_DEFAULTS, CHAT_INACTIVE),
                full().service(ServiceType.CHAT).instances());
    }

    @Test
    void baseUrlPathIsAPrefixOfTheInstancePath() {
        assertEquals(
                "/api/v1/chat/completions",
                full().service(ServiceType.CHAT).instances().get(0).upstreamPath());
    }

    @Test
    void omittedPathIsTheServicePublicPath() {
        RouterConfig config = full();
        for (ServiceType type : List.of(
                ServiceType.EMBEDDING,
                ServiceType.RERANK,
                ServiceType.TTS,
                ServiceType.STT,
                ServiceType.IMG_GEN,
                ServiceType.IMG_EDIT)) {
            assertEquals(
                    type.publicPath(), config.service(type).instances().get(0).upstreamPath(), type.key());
        }
    }

    @Test
    void omittedWeightIsOneAndOmittedPortIsEighty() {
        Instance instance = full().service(ServiceType.CHAT).instances().get(1);
        assertEquals(1, instance.weight());
        assertEquals(80, instance.port());
    }

    @Test
    void inactiveInstanceIsKeptButNotRouted() {
        ServiceConfig chat = full().service(ServiceType.CHAT);
        assertEquals(3, chat.instances().size());
        Map<String, ModelIr> models =
                RouterIr.of(full()).service(ServiceType.CHAT).orElseThrow().models();
        assertEquals(List.of("qwen3:1.7B", "qwen3:8B"), List.copyOf(models.keySet()));
        assertEquals(List.of(CHAT_PREFIXED), models.get("qwen3:1.7B").instances());
        assertEquals(List.of(CHAT_DEFAULTS), models.get("qwen3:8B").instances());
    }

    @Test
    void loadBalancingIsRandomWithMd5WhenNotConfigured() {
        RouterConfig config = load("""
                model:
                  services:
                    chat:
                      instances: [{name: m, base-url: "http://h"}]
                """).config();
        assertEquals(
                new LoadBalancing(LoadBalancePolicy.RANDOM, "md5"),
                config.service(ServiceType.CHAT).loadBalancing());
    }

    @Test
    void loadBalanceBesideTheServicesIsTheDefaultAndAServiceOverrideWins() {
        // The form in JAiRouter's README.
        RouterConfig config = load("""
                model:
                  services:
                    load-balance:
                      type: round-robin
                    chat:
                      instances: [{name: m, base-url: "http://h"}]
                    embedding:
                      load-balance:
                        type: least-connections
                      instances: [{name: e, base-url: "http://h"}]
                """).config();
        assertEquals(
                new LoadBalancing(LoadBalancePolicy.ROUND_ROBIN, "md5"),
                config.service(ServiceType.CHAT).loadBalancing());
        assertEquals(
                new LoadBalancing(LoadBalancePolicy.LEAST_CONNECTIONS, "md5"),
                config.service(ServiceType.EMBEDDING).loadBalancing());
    }

    @Test
    void loadBalanceUnderModelIsTheDefaultAndAServiceOverrideWins() {
        // The form of later JAiRouter versions; consistent-hash is its old name for ip-hash.
        RouterConfig config = load("""
                model:
                  load-balance:
                    type: consistent-hash
                    hash-algorithm: sha256
                  services:
                    chat:
                      instances: [{name: m, base-url: "http://h"}]
                    rerank:
                      load-balance:
                        type: round-robin
                      instances: [{name: r, base-url: "http://h"}]
                """).config();
        assertEquals(
                new LoadBalancing(LoadBalancePolicy.IP_HASH, "sha256"),
                config.service(ServiceType.CHAT).loadBalancing());
        assertEquals(
                new LoadBalancing(LoadBalancePolicy.ROUND_ROBIN, "sha256"),
                config.service(ServiceType.RERANK).loadBalancing());
    }

    @Test
    void loadBalanceBesideTheServicesOverridesTheOneUnderModel() {
        RouterConfig config = load("""
                model:
                  load-balance:
                    type: ip-hash
                    hash-algorithm: sha256
                  services:
                    load-balance:
                      type: least-connections
                    chat:
                      instances: [{name: m, base-url: "http://h"}]
                """).config();
        assertEquals(
                new LoadBalancing(LoadBalancePolicy.LEAST_CONNECTIONS, "sha256"),
                config.service(ServiceType.CHAT).loadBalancing());
    }

    @Test
    void serviceIpHashCarriesItsHashAlgorithm() {
        RouterConfig config = load("""
                model:
                  services:
                    rerank:
                      load-balance:
                        type: ip-hash
                        hash-algorithm: sha1
                      instances: [{name: r, base-url: "http://h"}]
                """).config();
        assertEquals(
                new LoadBalancing(LoadBalancePolicy.IP_HASH, "sha1"),
                config.service(ServiceType.RERANK).loadBalancing());
    }

    @Test
    void serverSectionSetsAddressPortAndMaxRequestSize() {
        assertEquals(new ListenerSettings("127.0.0.1", 9090, 64L << 20, 0, true, 100), full().listener());
    }

    @Test
    void trustedProxyHopsIsReadFromTheServerSection() {
        RouterConfig config = load("""
                server:
                  trusted-proxy-hops: 2
                model:
                  services:
                    chat:
                      instances: [{name: m, base-url: "http://h"}]
                """).config();
        assertEquals(2, config.listener().trustedProxyHops());
    }

    @Test
    void listenerHasDefaultsWithoutServerSection() {
        RouterConfig config = load("""
                model:
                  services:
                    chat:
                      instances: [{name: m, base-url: "http://h"}]
                """).config();
        assertEquals(new ListenerSettings("0.0.0.0", 8080, 32L * 1024 * 1024, 0, true, 100), config.listener());
    }

    @ParameterizedTest
    @CsvSource({"32MB, 33554432", "512KB, 524288", "1048576, 1048576", "1GB, 1073741824", "16M, 16777216"})
    void maxRequestSizeAcceptsSpringSizes(String size, long bytes) {
        RouterConfig config = load("""
                server:
                  max-request-size: %s
                model:
                  services:
                    chat:
                      instances: [{name: m, base-url: "http://h"}]
                """.formatted(size)).config();
        assertEquals(bytes, config.listener().maxRequestBytes());
    }

    @Test
    void unimplementedJAiRouterKeysAndForeignTopLevelKeysAreWarnings() {
        List<ConfigProblem> warnings = load("""
                spring:
                  application:
                    name: jairouter
                jairouter:
                  monitoring: {enabled: true}
                  security:
                    jwt: {enabled: true}
                model:
                  fallback:
                    enabled: true
                  services:
                    chat:
                      instances:
                        - name: m
                          base-url: http://h
                          rate-limit: {enabled: true}
                """).warnings();
        // model.fallback's default strategy is a 503, which this router answers too: no warning.
        assertEquals(4, warnings.size(), warnings::toString);
        assertProblem(warnings.get(0), 1, "spring", "Spring's own settings");
        assertProblem(warnings.get(1), 16, "model.services.chat.instances[0].rate-limit", "not kept");
        assertProblem(warnings.get(2), 5, "jairouter.monitoring", "not used by this router");
        assertProblem(warnings.get(3), 7, "jairouter.security.jwt", "not supported yet");
    }

    @Test
    void clientKeysAreReadWithJaiRoutersDefaultsAndAnExpiredKeyIsAWarning() throws ConfigException {
        LoadedConfig loaded = ConfigLoader.parse("""
                jairouter:
                  security:
                    enabled: true
                    api-key:
                      keys:
                        - {key-id: a, key-value: "${KEY_A}", permissions: [read]}
                        - {key-id: b, key-value: "sk-second-key-value", permissions: [imgGen, embedding],
                           expires-at: "2020-01-01 00:00:00", models: [x]}
                model:
                  services:
                    chat:
                      instances: [{name: m, base-url: "http://h"}]
                """, "test.yml", Map.of("KEY_A", "sk-first-key-value-00"));
        ApiKeys keys = loaded.config().apiKeys();
        assertTrue(keys.enforced());
        assertEquals("X-API-Key", keys.headerName());
        assertEquals(Set.copyOf(ServiceType.builtIn()), keys.keys().get(0).services());
        assertEquals("sk-first-key-value-00", keys.keys().get(0).value().value());
        assertEquals(
                Set.of(ServiceType.IMG_GEN, ServiceType.EMBEDDING),
                keys.keys().get(1).services());
        assertFalse(keys.keys().get(1).usableAt(java.time.Instant.now()));
        assertEquals(1, loaded.warnings().size(), loaded.warnings()::toString);
        assertProblem(loaded.warnings().get(0), 8, "jairouter.security.api-key.keys[1].expires-at", "expired");
        assertFalse(loaded.warnings().toString().contains("sk-second-key-value"));
    }

    @Test
    void adapterIsChosenPerInstanceThenServiceThenModelAndGivesTheDefaultPath() {
        RouterConfig config = load("""
                model:
                  adapter: vllm
                  services:
                    chat:
                      adapter: gpustack
                      instances:
                        - {name: a, base-url: "http://h1"}
                        - {name: b, base-url: "http://h2", adapter: ollama}
                    rerank:
                      instances:
                        - {name: r, base-url: "http://h3/vllm"}
                """).config();
        List<Instance> chat = config.service(ServiceType.CHAT).instances();
        assertEquals(Adapter.GPUSTACK, chat.get(0).adapter());
        assertEquals(Adapter.OLLAMA, chat.get(1).adapter());
        Instance rerank = config.service(ServiceType.RERANK).instances().get(0);
        assertEquals(Adapter.VLLM, rerank.adapter());
        assertEquals("/vllm/v1/rerank", rerank.upstreamPath());
    }

    @Test
    void aServiceTheAdapterLacksNeedsAnExplicitPath() {
        ConfigProblem problem = ConfigTexts.onlyProblem("""
                model:
                  services:
                    rerank:
                      instances:
                        - {name: r, base-url: "http://h", adapter: ollama}
                """);
        assertProblem(problem, 5, "model.services.rerank.instances[0]", "ollama has no rerank endpoint");
    }

    @Test
    void instanceKeysOfJAiRoutersOwnConfigAreWarnings() {
        // As in JAiRouter's config/base/model-services-base.yml.
        LoadedConfig loaded = load("""
                model:
                  services:
                    chat:
                      instances:
                        - name: "qwen3:4b"
                          instance-id: "f0461c5b-f894-4b6e-aace-6a133b2a1559"
                          base-url: "http://172.16.30.6:9090"
                          path: "/v1/chat/completions"
                          weight: 1
                          headers:
                            Authorization: "Bearer ${GPUSTACK_API_TOKEN:}"
                          rate-limit:
                            enabled: true
                          circuit-breaker:
                            enabled: true
                """);
        assertEquals(1, loaded.config().service(ServiceType.CHAT).instances().size());
        List<ConfigProblem> warnings = loaded.warnings();
        assertEquals(3, warnings.size(), warnings::toString);
        assertProblem(warnings.get(0), 6, "model.services.chat.instances[0].instance-id", "not supported yet");
        assertProblem(warnings.get(1), 12, "model.services.chat.instances[0].rate-limit", "not kept");
        assertProblem(warnings.get(2), 14, "model.services.chat.instances[0].circuit-breaker", "its own breaker");
    }
}
