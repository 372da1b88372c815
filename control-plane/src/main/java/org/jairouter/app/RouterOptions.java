package org.jairouter.app;

import java.nio.file.Path;
import java.util.Optional;
import org.jairouter.envoy.EnvoyLimits;

/**
 * How to run the router.
 *
 * @param adminPort   Envoy's admin port; 0 picks a free one
 * @param xdsPort     the control plane's ADS port; 0 picks a free one
 * @param statusPort  the status server's port; 0 picks a free one
 * @param runEnvoy    false when Envoy runs elsewhere (compose, Kubernetes) and connects to us
 * @param workDir     where the Envoy bootstrap and pid file live; a restarted control plane given the
 *                    same folder adopts the Envoy it left running
 * @param concurrency Envoy worker threads; 0 means one per core
 * @param envoyLimits the heap and connection limits of the supervised Envoy's overload manager
 * @param advertiseAddress how Envoys reach this control plane's status server (a host name in compose or
 *                    Kubernetes); empty: the status address, or loopback when that is a wildcard
 */
public record RouterOptions(Path config, String xdsAddress, int xdsPort, String statusAddress, int statusPort,
                            String adminAddress, int adminPort,
                            boolean runEnvoy, Optional<Path> envoyBinary, Path envoyInstallDir, Path workDir,
                            String envoyLogLevel, int concurrency, String nodeId, Optional<String> advertiseAddress,
                            EnvoyLimits envoyLimits) {

    /** The address Envoys use to reach the status server. */
    public String statusHostForEnvoy() {
        return advertiseAddress.orElse(statusAddress.equals("0.0.0.0") || statusAddress.equals("::")
                ? "127.0.0.1" : statusAddress);
    }
}
