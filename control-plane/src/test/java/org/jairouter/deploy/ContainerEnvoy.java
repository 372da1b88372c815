package org.jairouter.deploy;

import java.util.Optional;
import org.jairouter.envoy.EnvoyBinary;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.output.Slf4jLogConsumer;
import org.testcontainers.images.builder.Transferable;
import org.testcontainers.utility.DockerImageName;

/**
 * Envoy in the official image at the version we test with, as compose and Kubernetes run it, or in the
 * image JAIROUTER_ENVOY_IMAGE names (a local stand-in where no registry answers, deploy/standin/). The
 * container shares the host's network, so that it reaches the control plane and the stub backends on
 * loopback exactly as a local Envoy does; that needs a Linux Docker engine (or Docker Desktop with
 * host networking turned on).
 */
final class ContainerEnvoy implements EnvoyTarget {
    /** The official image of the Envoy release we test with; compose and Kubernetes name the same. */
    static final String IMAGE = "envoyproxy/envoy:v" + EnvoyBinary.PINNED_VERSION;
    /** The variable compose.yaml reads for the same choice. */
    static final String IMAGE_VARIABLE = "JAIROUTER_ENVOY_IMAGE";

    private static final Logger LOG = LoggerFactory.getLogger(ContainerEnvoy.class);
    private static final String BOOTSTRAP = "/etc/envoy/jairouter.yaml";
    private static final String ADMIN_ADDRESS_FILE = "/tmp/envoy-admin-address";

    @Override
    public RunningEnvoy start(String nodeId, String bootstrap) {
        GenericContainer<?> container = new GenericContainer<>(DockerImageName.parse(
                        Optional.ofNullable(System.getenv(IMAGE_VARIABLE)).orElse(IMAGE)))
                .withNetworkMode("host")
                .withCopyToContainer(Transferable.of(bootstrap), BOOTSTRAP)
                .withCommand(
                        "envoy",
                        "-c",
                        BOOTSTRAP,
                        "--disable-hot-restart",
                        "--concurrency",
                        "1",
                        "--log-level",
                        "warning",
                        "--admin-address-path",
                        ADMIN_ADDRESS_FILE)
                .withLogConsumer(new Slf4jLogConsumer(LOG).withPrefix(nodeId));
        container.start();
        return new RunningEnvoy() {
            @Override
            public Optional<String> adminAddress() throws Exception {
                // Envoy writes the file once its admin port is bound; until then cat fails.
                ExecResult read = container.execInContainer("cat", ADMIN_ADDRESS_FILE);
                String address = read.getStdout().trim();
                return read.getExitCode() == 0 && !address.isEmpty() ? Optional.of(address) : Optional.empty();
            }

            @Override
            public void close() {
                container.stop();
            }
        };
    }
}
