package org.jairouter.config;

import static org.jairouter.config.ConfigTexts.onlyProblem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Per-instance headers and API keys: read, filled from the environment, and never shown. */
class InstanceHeadersConfigTest {
    private static Instance onlyInstance(String yaml, Map<String, String> environment) throws ConfigException {
        return ConfigLoader.parse(yaml, "test.yml", environment)
                .config()
                .service(ServiceType.CHAT)
                .instances()
                .get(0);
    }

    @Test
    void apiKeyBecomesABearerAuthorizationHeaderFromTheEnvironment() throws Exception {
        Instance instance = onlyInstance("""
                model:
                  services:
                    chat:
                      instances:
                        - name: m
                          base-url: "https://gpu.example.com"
                          api-key: "${GPU_KEY}"
                          headers:
                            X-Tenant: "team-${TEAM:blue}"
                """, Map.of("GPU_KEY", "sk-secret"));

        assertEquals("Bearer sk-secret", instance.headers().get("authorization").value());
        assertEquals("team-blue", instance.headers().get("x-tenant").value());
        assertTrue(instance.tls());
        assertEquals("gpu.example.com", instance.authority());
        assertFalse(instance.toString().contains("sk-secret"), instance.toString());
    }

    @Test
    void anUnsetEnvironmentVariableWithoutDefaultIsAnError() {
        ConfigProblem problem = onlyProblem("""
                model:
                  services:
                    chat:
                      instances:
                        - name: m
                          base-url: "http://h"
                          api-key: "${SURELY_NOT_SET_ANYWHERE}"
                """);

        assertEquals(7, problem.line());
        assertEquals("model.services.chat.instances[0].api-key", problem.key());
        assertTrue(problem.message().contains("SURELY_NOT_SET_ANYWHERE is not set"), problem.message());
    }

    @Test
    void aProblemWithASecretNeverRepeatsIt() {
        ConfigProblem problem = onlyProblem("""
                model:
                  services:
                    chat:
                      instances:
                        - name: m
                          base-url: "http://h"
                          api-key: sk-do-not-print
                          headers:
                            Authorization: "Bearer sk-do-not-print-either"
                """);

        assertTrue(problem.message().contains("either api-key or an Authorization header"), problem.message());
        assertFalse(problem.toString().contains("sk-do-not"), problem.toString());
    }
}
