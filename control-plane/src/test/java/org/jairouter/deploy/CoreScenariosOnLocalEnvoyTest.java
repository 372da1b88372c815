package org.jairouter.deploy;

/**
 * The core scenarios against Envoy as a local process. Always runs, so that the scenarios are proven
 * on every machine, including those where the container run is skipped for want of Docker.
 */
class CoreScenariosOnLocalEnvoyTest extends CoreScenarios {
    @Override
    EnvoyTarget target() {
        return new LocalEnvoy();
    }
}
