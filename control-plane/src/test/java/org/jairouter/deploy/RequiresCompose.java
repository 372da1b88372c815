package org.jairouter.deploy;

import java.util.Optional;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the compose tests only where a Docker engine answers and the {@code docker compose} (v2) plugin
 * runs; elsewhere they are skipped with the reason, logged as a warning too, as {@link RequiresDocker} does.
 */
final class RequiresCompose implements ExecutionCondition {
    private static final Logger LOG = LoggerFactory.getLogger(RequiresCompose.class);

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        Optional<String> missing = RequiresDocker.whyDockerIsMissing().or(RequiresCompose::whyComposeIsMissing);
        if (missing.isEmpty()) {
            return ConditionEvaluationResult.enabled("a Docker engine and docker compose answer");
        }
        String reason = context.getDisplayName() + " SKIPPED: " + missing.get();
        LOG.warn(reason);
        return ConditionEvaluationResult.disabled(reason);
    }

    private static Optional<String> whyComposeIsMissing() {
        try {
            ComposeStack.Result version = ComposeStack.docker("compose", "version");
            return version.succeeded()
                    ? Optional.empty()
                    : Optional.of("`docker compose version` failed: "
                            + version.output().strip());
        } catch (Exception e) {
            return Optional.of("`docker compose version` could not run: " + e);
        }
    }
}
