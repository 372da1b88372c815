package org.jairouter.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.jairouter.config.ConfigException;
import org.jairouter.config.ConfigLoader;
import org.jairouter.config.LoadBalancePolicy;
import org.jairouter.config.LoadedConfig;
import org.jairouter.config.RouterConfig;
import org.jairouter.envoy.EnvoyAdmin;
import org.jairouter.envoy.EnvoyBinary;
import org.jairouter.envoy.EnvoyBootstrap;
import org.jairouter.envoy.EnvoyProcess;
import org.jairouter.translate.EnvoyTranslator;
import org.jairouter.translate.Names;
import org.jairouter.xds.SnapshotPublisher;
import org.jairouter.xds.XdsServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running router: the config pipeline (YAML → config → Envoy resources → snapshot) feeding the
 * xDS server, and, unless Envoy runs elsewhere, the supervised Envoy that carries the traffic.
 */
public final class Router implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Router.class);

    private final SnapshotPublisher publisher = new SnapshotPublisher();
    private final RouterOptions options;
    private XdsServer xds;
    private EnvoyProcess envoy;
    private LoadedConfig config;
    private String version;

    private Router(RouterOptions options) {
        this.options = options;
    }

    public static Router start(RouterOptions options) throws ConfigException, IOException, InterruptedException {
        Router router = new Router(options);
        try {
            router.apply(ConfigLoader.load(options.config()));
            router.xds = XdsServer.start(router.publisher, options.xdsAddress(), options.xdsPort());
            if (options.runEnvoy()) {
                router.startEnvoy();
            }
            return router;
        } catch (IOException | RuntimeException e) {
            router.close();
            throw e;
        }
    }

    /** Publishes a validated config to every Envoy. */
    private void apply(LoadedConfig loaded) {
        loaded.warnings().forEach(w -> LOG.warn("{}", w));
        String published = publisher.publish(EnvoyTranslator.translate(loaded.config(), HostResolver.resolve(loaded.config())));
        config = loaded;
        version = published;
        LOG.info("Config {} in force: {}", version, Summary.of(loaded.config()));
        logHashAlgorithms(loaded.config());
    }

    /** JAiRouter names a digest for ip-hash; Envoy's ring has its own hash. Say so once per name. */
    private static void logHashAlgorithms(RouterConfig config) {
        config.services().values().stream()
                .filter(service -> service.loadBalancing().policy() == LoadBalancePolicy.IP_HASH)
                .map(service -> service.loadBalancing().hashAlgorithm())
                .distinct()
                .forEach(algorithm -> LOG.info("ip-hash: hash-algorithm '{}' is accepted, but Envoy's consistent-hash"
                        + " ring hashes client addresses with xxHash; a client still always reaches the same instance"
                        + " while the instances stay the same", algorithm));
    }

    private void startEnvoy() throws IOException, InterruptedException {
        Path binary = EnvoyBinary.locate(options.envoyBinary(), options.envoyInstallDir());
        LOG.info("Envoy: {} ({})", binary, EnvoyBinary.version(binary));
        Path adminAddressFile = options.workDir().resolve("envoy-admin-address");
        Files.deleteIfExists(adminAddressFile);
        String bootstrap = EnvoyBootstrap.render(options.nodeId(), options.adminAddress(), options.adminPort(),
                options.xdsAddress(), xds.port());
        envoy = EnvoyProcess.start(binary, bootstrap, options.workDir(), options.envoyLogLevel(), options.concurrency(),
                adminAddressFile);
    }

    public String configVersion() {
        return version;
    }

    public LoadedConfig config() {
        return config;
    }

    /** Envoy's admin address as host:port, once Envoy has bound it. */
    public Optional<String> envoyAdminAddress() {
        return envoy == null ? Optional.empty() : envoy.adminAddress();
    }

    /**
     * Waits until the supervised Envoy has its config and its listener is up.
     *
     * @return the port the listener bound
     */
    public int awaitReady(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<EnvoyAdmin> admin = envoyAdminAddress().map(EnvoyAdmin::new);
            try {
                if (admin.isPresent() && admin.get().isReady()) {
                    Optional<Integer> port = admin.get().listenerPort(Names.LISTENER);
                    if (port.isPresent()) {
                        LOG.info("JAiRouter ready: http://{}:{}/v1 (Envoy admin on {})",
                                config.config().listener().address(), port.get(), admin.get().address());
                        return port.get();
                    }
                }
            } catch (IOException notYet) {
                // Envoy is still starting.
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("Envoy was not ready within " + timeout.toSeconds() + " s");
    }

    @Override
    public void close() {
        try {
            if (envoy != null) {
                envoy.close();
            }
            if (xds != null) {
                xds.close();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
