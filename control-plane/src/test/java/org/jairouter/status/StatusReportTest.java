package org.jairouter.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jairouter.budget.BudgetLedger;
import org.jairouter.config.ConfigLoader;
import org.jairouter.config.ServiceType;
import org.jairouter.envoy.HostStatus;
import org.jairouter.ir.RouterIr;
import org.jairouter.status.ServiceReport.InstanceReport;
import org.jairouter.xds.EnvoyFleet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The status report built from a real Envoy's admin data. {@code clusters.json} is Envoy 1.40's
 * {@code /clusters?format=json}, captured while it ran {@code application.yml}: one stub backend
 * answering, a closed port behind an active health check, a closed port without one (ejected after
 * three refused connections), a host name that does not resolve, and two instances whose health
 * checks never got an answer. 5 chat and 12 embedding requests had been sent.
 */
class StatusReportTest {
    private static final Path CAPTURE = Path.of("src/test/resources/status-report");
    private static RouterIr ir;
    private static List<HostStatus> capturedHosts;

    @BeforeAll
    static void translateTheCapturedConfig() throws Exception {
        ir = RouterIr.of(ConfigLoader.load(CAPTURE.resolve("application.yml")).config());
        capturedHosts = HostStatus.allIn(Files.readString(CAPTURE.resolve("clusters.json")));
    }

    private static StatusReport report(Optional<List<HostStatus>> hosts) {
        return new StatusReport(
                () -> ir, () -> hosts, new ConfigStatus(), new EnvoyFleet(), () -> BudgetLedger.Books.NONE);
    }

    private static ServiceReport live(ServiceType service) {
        return report(Optional.of(capturedHosts)).service(service).orElseThrow();
    }

    @Test
    void eachChatInstanceHasItsHealthAndWhyNot() {
        ServiceReport chat = live(ServiceType.CHAT);
        assertTrue(chat.live());
        assertEquals(List.of("qwen3", "llama"), chat.availableModels());
        assertEquals(4, chat.totalInstances());
        assertEquals(1, chat.healthyInstances());
        assertTrue(chat.serviceHealthy());
        assertEquals("auto every 1000 ms", chat.healthCheck());
        List<InstanceReport> instances = chat.instances();
        assertInstance(instances.get(0), "http://127.0.0.1:33821", true, null);
        assertEquals(2, instances.get(0).weight());
        assertInstance(instances.get(1), "http://127.0.0.1:49127", false, "failed active health check");
        assertInstance(instances.get(2), "http://127.0.0.1:44457", false, "inactive in the config");
        assertEquals("inactive", instances.get(2).status());
        assertInstance(
                instances.get(3),
                "http://nowhere.invalid:8000",
                false,
                "not known to Envoy (host name does not resolve, or the config is still being applied)");
    }

    @Test
    void countersComeFromTheInstancesOwnEndpoint() {
        List<InstanceReport> chat = live(ServiceType.CHAT).instances();
        assertCounters(chat.get(0), 5, 0, 0);
        assertCounters(chat.get(1), 0, 0, 0);
        // The same backend serves embeddings: its embedding endpoint counts only those requests.
        List<InstanceReport> embedding = live(ServiceType.EMBEDDING).instances();
        assertCounters(embedding.get(0), 12, 0, 0);
        assertCounters(embedding.get(1), 0, 3, 3);
        assertEquals(0, embedding.get(0).requestsActive());
    }

    @Test
    void anInstanceThatRefusedConnectionsIsEjected() {
        ServiceReport embedding = live(ServiceType.EMBEDDING);
        assertEquals("none", embedding.healthCheck());
        assertEquals(1, embedding.healthyInstances());
        assertInstance(embedding.instances().get(0), "http://127.0.0.1:33821", true, null);
        assertInstance(embedding.instances().get(1), "http://127.0.0.1:57405", false, "ejected after failed requests");
    }

    @Test
    void aServiceWithNoHealthyInstanceIsUnhealthy() {
        ServiceReport rerank = live(ServiceType.RERANK);
        assertFalse(rerank.serviceHealthy());
        assertEquals(0, rerank.healthyInstances());
        assertEquals("http /health every 60000 ms", rerank.healthCheck());
        rerank.instances().forEach(i -> assertInstance(i, i.baseUrl(), false, "failed active health check"));
    }

    @Test
    void withoutEnvoyHealthIsUnknownExceptForInactiveInstances() {
        ServiceReport chat = report(Optional.empty()).service(ServiceType.CHAT).orElseThrow();
        assertFalse(chat.live());
        assertEquals(0, chat.healthyInstances());
        assertInstance(chat.instances().get(0), "http://127.0.0.1:33821", null, null);
        assertInstance(chat.instances().get(2), "http://127.0.0.1:44457", false, "inactive in the config");
        assertInstance(chat.instances().get(3), "http://nowhere.invalid:8000", null, null);
        assertCounters(chat.instances().get(0), 0, 0, 0);
    }

    @Test
    void theOverallReportHasEveryConfiguredServiceInOrder() {
        Map<String, Object> overall = report(Optional.of(capturedHosts)).overall();
        assertEquals(List.of("config", "envoys", "services"), List.copyOf(overall.keySet()));
        @SuppressWarnings("unchecked")
        Map<String, ServiceReport> services = (Map<String, ServiceReport>) overall.get("services");
        assertEquals(List.of("chat", "embedding", "rerank"), List.copyOf(services.keySet()));
        assertEquals(live(ServiceType.EMBEDDING), services.get("embedding"));
        assertTrue(report(Optional.of(capturedHosts)).service(ServiceType.TTS).isEmpty());
    }

    private static void assertInstance(InstanceReport instance, String baseUrl, Boolean healthy, String reason) {
        assertEquals(baseUrl, instance.baseUrl(), instance::toString);
        assertEquals(healthy, instance.healthy(), instance::toString);
        if (reason == null) {
            assertNull(instance.unhealthyReason(), instance::toString);
        } else {
            assertEquals(reason, instance.unhealthyReason(), instance::toString);
        }
    }

    private static void assertCounters(InstanceReport instance, long total, long failed, long connectFailures) {
        assertEquals(total, instance.requestsTotal(), instance::toString);
        assertEquals(failed, instance.requestsFailed(), instance::toString);
        assertEquals(connectFailures, instance.connectFailures(), instance::toString);
    }
}
