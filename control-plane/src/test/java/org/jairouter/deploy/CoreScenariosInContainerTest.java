package org.jairouter.deploy;

import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The core scenarios against Envoy in its official container image. Skipped, with the reason in the
 * build output, where no Docker engine answers.
 */
@ExtendWith(RequiresDocker.class)
class CoreScenariosInContainerTest extends CoreScenarios {
    @Override
    EnvoyTarget target() {
        return new ContainerEnvoy();
    }
}
