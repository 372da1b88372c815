package org.jairouter.deploy;

import java.util.Optional;

/**
 * Where a test's Envoy runs: a local process or a container. Either way it reads only the bootstrap
 * it is given and takes everything else from the control plane over xDS, as in compose or Kubernetes.
 */
interface EnvoyTarget {
    RunningEnvoy start(String nodeId, String bootstrap) throws Exception;

    /** An Envoy that was started; its admin port may be 0 in the bootstrap, so the bound address is read back. */
    interface RunningEnvoy extends AutoCloseable {
        /** host:port of Envoy's admin interface, once Envoy has bound it. */
        Optional<String> adminAddress() throws Exception;
    }
}
