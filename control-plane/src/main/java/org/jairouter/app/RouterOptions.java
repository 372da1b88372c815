package org.jairouter.app;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import org.jairouter.config.ChainSettings;
import org.jairouter.envoy.EnvoyBinary;
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
 * @param chainSettings where the files the config imports are found, and the Spring profiles given
 * @param advertiseAddress how Envoys reach this control plane's status server (a host name in compose or
 *                    Kubernetes); empty: the status address, or loopback when that is a wildcard
 */
public record RouterOptions(
        Path config,
        ChainSettings chainSettings,
        String xdsAddress,
        int xdsPort,
        String statusAddress,
        int statusPort,
        String adminAddress,
        int adminPort,
        boolean runEnvoy,
        Optional<Path> envoyBinary,
        Path envoyInstallDir,
        Path workDir,
        String envoyLogLevel,
        int concurrency,
        String nodeId,
        Optional<String> advertiseAddress,
        EnvoyLimits envoyLimits) {

    /**
     * Starts options for a router on loopback and free ports that runs its own Envoy: the defaults
     * tests want. The command line sets every field from its flags.
     *
     * @param nodeId the Envoy node id; a restarted control plane finds its Envoy by the work folder
     */
    public static Builder builder(Path config, Path workDir, String nodeId) {
        return new Builder(config, workDir, nodeId);
    }

    /** Names each option at the call site; unset options keep the defaults of {@link #builder}. */
    public static final class Builder {
        private final Path config;
        private final Path workDir;
        private final String nodeId;
        private ChainSettings chainSettings = ChainSettings.defaults();
        private String xdsAddress = "127.0.0.1";
        private int xdsPort;
        private String statusAddress = "127.0.0.1";
        private int statusPort;
        private String adminAddress = "127.0.0.1";
        private int adminPort;
        private boolean runEnvoy = true;
        private Optional<Path> envoyBinary = Optional.empty();
        private Path envoyInstallDir;
        private String envoyLogLevel = "warning";
        private int concurrency;
        private Optional<String> advertiseAddress = Optional.empty();
        private EnvoyLimits envoyLimits = EnvoyLimits.DEFAULT;

        private Builder(Path config, Path workDir, String nodeId) {
            this.config = Objects.requireNonNull(config, "config");
            this.workDir = Objects.requireNonNull(workDir, "workDir");
            this.nodeId = Objects.requireNonNull(nodeId, "nodeId");
        }

        public Builder chainSettings(ChainSettings chainSettings) {
            this.chainSettings = chainSettings;
            return this;
        }

        public Builder xds(String address, int port) {
            this.xdsAddress = address;
            this.xdsPort = port;
            return this;
        }

        public Builder status(String address, int port) {
            this.statusAddress = address;
            this.statusPort = port;
            return this;
        }

        public Builder admin(String address, int port) {
            this.adminAddress = address;
            this.adminPort = port;
            return this;
        }

        public Builder runEnvoy(boolean runEnvoy) {
            this.runEnvoy = runEnvoy;
            return this;
        }

        public Builder envoyBinary(Optional<Path> envoyBinary) {
            this.envoyBinary = envoyBinary;
            return this;
        }

        public Builder envoyInstallDir(Path envoyInstallDir) {
            this.envoyInstallDir = envoyInstallDir;
            return this;
        }

        public Builder envoyLogLevel(String envoyLogLevel) {
            this.envoyLogLevel = envoyLogLevel;
            return this;
        }

        public Builder concurrency(int concurrency) {
            this.concurrency = concurrency;
            return this;
        }

        public Builder advertiseAddress(Optional<String> advertiseAddress) {
            this.advertiseAddress = advertiseAddress;
            return this;
        }

        public Builder envoyLimits(EnvoyLimits envoyLimits) {
            this.envoyLimits = envoyLimits;
            return this;
        }

        public RouterOptions build() {
            return new RouterOptions(
                    config,
                    chainSettings,
                    xdsAddress,
                    xdsPort,
                    statusAddress,
                    statusPort,
                    adminAddress,
                    adminPort,
                    runEnvoy,
                    envoyBinary,
                    envoyInstallDir != null ? envoyInstallDir : EnvoyBinary.defaultInstallDir(),
                    workDir,
                    envoyLogLevel,
                    concurrency,
                    nodeId,
                    advertiseAddress,
                    envoyLimits);
        }
    }

    /** The address Envoys use to reach the status server. */
    public String statusHostForEnvoy() {
        return advertiseAddress.orElse(
                statusAddress.equals("0.0.0.0") || statusAddress.equals("::") ? "127.0.0.1" : statusAddress);
    }
}
