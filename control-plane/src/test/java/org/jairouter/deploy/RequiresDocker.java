package org.jairouter.deploy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;

/**
 * Runs the container suite only where a Docker engine answers. Elsewhere the suite is skipped with the
 * reason, which is also logged as a warning so that it shows in the build output and not only in the
 * test report.
 */
final class RequiresDocker implements ExecutionCondition {
    private static final Logger LOG = LoggerFactory.getLogger(RequiresDocker.class);

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        Optional<String> missing = whyDockerIsMissing();
        if (missing.isEmpty()) {
            return ConditionEvaluationResult.enabled("a Docker engine answers");
        }
        String reason = context.getDisplayName() + " SKIPPED: " + missing.get() + ". The same scenarios run"
                + " against a local Envoy process in " + CoreScenariosOnLocalEnvoyTest.class.getSimpleName() + ".";
        LOG.warn(reason);
        return ConditionEvaluationResult.disabled(reason);
    }

    /** Empty where an engine answers; otherwise what was tried. */
    static Optional<String> whyDockerIsMissing() {
        try {
            DockerClientFactory.instance().client();
            return Optional.empty();
        } catch (IllegalStateException e) {
            String dockerHost =
                    Optional.ofNullable(System.getenv("DOCKER_HOST")).orElse("unset");
            String socket = Files.exists(Path.of("/var/run/docker.sock")) ? "present" : "absent";
            return Optional.of("no Docker engine answers (DOCKER_HOST " + dockerHost + ", /var/run/docker.sock "
                    + socket + "; Testcontainers: " + e.getMessage() + ")");
        }
    }
}
