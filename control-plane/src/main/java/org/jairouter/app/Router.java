package org.jairouter.app;

import io.envoyproxy.controlplane.cache.Resources;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.jairouter.budget.BudgetLedger;
import org.jairouter.budget.KeyUsage;
import org.jairouter.config.ConfigChain;
import org.jairouter.config.ConfigDiff;
import org.jairouter.config.ConfigException;
import org.jairouter.config.ConfigProblem;
import org.jairouter.config.ConfigText;
import org.jairouter.config.LoadBalancePolicy;
import org.jairouter.config.LoadedConfig;
import org.jairouter.config.RateLimit;
import org.jairouter.config.RouterConfig;
import org.jairouter.config.ServiceConfig;
import org.jairouter.discovery.ModelDiscovery;
import org.jairouter.envoy.EnvoyAdmin;
import org.jairouter.envoy.EnvoyBinary;
import org.jairouter.envoy.EnvoyBootstrap;
import org.jairouter.envoy.EnvoyProcess;
import org.jairouter.envoy.HostStatus;
import org.jairouter.ir.DiscoveredModels;
import org.jairouter.ir.EndpointId;
import org.jairouter.ir.RouterIr;
import org.jairouter.load.LoadScraper;
import org.jairouter.status.ConfigStatus;
import org.jairouter.status.StatusReport;
import org.jairouter.status.StatusServer;
import org.jairouter.translate.EnvoyResources;
import org.jairouter.translate.IncrementalTranslator;
import org.jairouter.translate.LoadWeights;
import org.jairouter.translate.Names;
import org.jairouter.translate.ResolvedHosts;
import org.jairouter.translate.StatusEndpoint;
import org.jairouter.usage.RouterMetrics;
import org.jairouter.xds.EnvoyFleet;
import org.jairouter.xds.SnapshotPublisher;
import org.jairouter.xds.XdsServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running router: the config pipeline (YAML → config → Envoy resources → snapshot) feeding the
 * xDS server, a watch on the config file that runs the pipeline again on every edit, the status
 * server, and, unless Envoy runs elsewhere, the supervised Envoy that carries the traffic.
 */
public final class Router implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Router.class);

    private final SnapshotPublisher publisher = new SnapshotPublisher();
    /** Reuses the last translation's parts: an edit re-translates only the models it touches. */
    private final IncrementalTranslator translator = new IncrementalTranslator();
    /** Reads the config's files; an edit of a single file re-reads only the instances whose lines changed. */
    private final ConfigChain chain;

    private final ConfigStatus configStatus = new ConfigStatus();
    private final EnvoyFleet fleet = new EnvoyFleet();
    private final RouterMetrics metrics = new RouterMetrics(
            () -> fleet.members().size(), fleet::rejections, () -> this.envoy == null ? 0 : this.envoy.restarts());
    private final RouterOptions options;
    private XdsServer xds;
    private StatusServer status;
    private ConfigWatcher watcher;
    /** Host names in base-urls are looked up again on this period; a changed address is published. */
    private static final Duration DNS_REFRESH = Duration.ofSeconds(30);

    private final ScheduledExecutorService dnsRefresh = daemonScheduler("dns-refresh");
    /**
     * Runs the updates that arrive on other threads (a key expiring, a budget spent, an Envoy joining or
     * leaving) and the warm-up, one at a time, so that none holds up the thread that noticed it.
     */
    private final ScheduledExecutorService updates = daemonScheduler("router-updates");
    /** Writes the client keys' usage to disk every second and starts a new day at midnight UTC. */
    private final ScheduledExecutorService budgetBooks = daemonScheduler("budget-books");

    private ScheduledFuture<?> nextExpiry;
    /** How long a cluster the config dropped is published on for an Envoy that does not acknowledge. */
    private static final Duration RETIRE_AT_THE_LATEST = Duration.ofSeconds(30);

    private BudgetLedger budgets;

    /**
     * What the router wants every Envoy to run: the config file, the models the servers of its {@code models:
     * auto} instances listed, the router model made of both, the host addresses, the load-aware weights and
     * the number of Envoys connected. Changed only by {@link #update}.
     */
    private record Desired(
            RouterConfig file,
            DiscoveredModels discovered,
            RouterIr ir,
            ResolvedHosts hosts,
            LoadWeights load,
            int envoys) {

        /** The router model is made again only when one of its inputs changes: at 10,000 instances it costs. */
        Desired withInputs(RouterConfig newFile, DiscoveredModels newDiscovered) {
            return new Desired(newFile, newDiscovered, RouterIr.of(newFile, newDiscovered), hosts, load, envoys);
        }

        Desired withHosts(ResolvedHosts newHosts) {
            return new Desired(file, discovered, ir, newHosts, load, envoys);
        }

        Desired withLoad(LoadWeights newLoad) {
            return new Desired(file, discovered, ir, hosts, newLoad, envoys);
        }

        Desired withEnvoys(int newEnvoys) {
            return new Desired(file, discovered, ir, hosts, load, newEnvoys);
        }
    }

    private Desired desired = new Desired(null, DiscoveredModels.NONE, null, null, LoadWeights.NONE, 0);

    private volatile LoadScraper scraper;
    private volatile ModelDiscovery discovery;
    private EnvoyProcess envoy;
    /**
     * The router model in force, with the client keys as they were sent (expired and spent ones marked):
     * what the status, the metrics and the load scraper read.
     */
    private volatile RouterIr inForce;
    /**
     * The files last read, applied or refused: unchanged files are not read into a reload again (nor
     * decoded: the watch's poll reads the file every second, and at 10,000 instances it is 750 kB).
     */
    private ConfigChain.Snapshot lastRead;
    /** Why the config file cannot be read as text, since when, and whether that was reported; null while it can. */
    private Unreadable unreadable;

    private record Unreadable(String problem, Instant since, boolean reported) {}

    private Router(RouterOptions options) {
        this.options = options;
        this.chain = new ConfigChain(options.config(), options.chainSettings());
    }

    /** Starts with the config file as it is; an invalid file refuses the start. */
    public static Router start(RouterOptions options) throws ConfigException, IOException, InterruptedException {
        Router router = new Router(options);
        try {
            ConfigChain.Snapshot files = router.chain.read();
            LoadedConfig first = router.chain.load(files);
            router.budgets = BudgetLedger.open(
                    options.workDir().resolve("budgets.json"),
                    Clock.systemUTC(),
                    spent -> router.later(router::budgetsChanged));
            router.budgetBooks.scheduleWithFixedDelay(router.budgets::flush, 1, 1, TimeUnit.SECONDS);
            router.budgetBooks.scheduleAtFixedRate(
                    router.budgets::rollOver,
                    untilMidnightUtc().toMillis(),
                    Duration.ofDays(1).toMillis(),
                    TimeUnit.MILLISECONDS);
            router.status = StatusServer.start(
                    options.statusAddress(),
                    options.statusPort(),
                    StatusReport.live(
                                    () -> router.inForce,
                                    () -> router.envoyAdminAddress().map(EnvoyAdmin::new),
                                    router.configStatus,
                                    router.fleet,
                                    router.budgets::books)
                            .withLoadReadings(() -> router.scraper == null ? Map.of() : router.scraper.readings())
                            .withDiscoveryProblems(
                                    () -> router.discovery == null ? Map.of() : router.discovery.problems()),
                    router.metrics.httpHandler());
            router.fleet.onMembershipChange(router::onFleetChange);
            router.xds = XdsServer.start(
                    router.publisher,
                    router.fleet,
                    router.metrics.requestRecords(router.budgets),
                    options.xdsAddress(),
                    options.xdsPort());
            // Envoy starts while the config is translated: it waits on the xDS stream for the first snapshot.
            if (options.runEnvoy()) {
                router.startEnvoy();
                router.metrics.watch(() -> router.envoy.readyAdminAddress().map(EnvoyAdmin::new));
            }
            router.apply(first, System.nanoTime());
            router.lastRead = files;
            router.watcher = ConfigWatcher.start(files.watched(), router::reload);
            router.updates.execute(() -> router.warmUpReload(files));
            router.scraper = LoadScraper.start(() -> router.inForce, router::envoyActiveRequests, router::publishLoad);
            router.discovery = ModelDiscovery.start(() -> router.inForce, router::publishDiscovered);
            router.dnsRefresh.scheduleWithFixedDelay(
                    router::refreshDns, DNS_REFRESH.toMillis(), DNS_REFRESH.toMillis(), TimeUnit.MILLISECONDS);
            return router;
        } catch (IOException | RuntimeException e) {
            router.close();
            throw e;
        }
    }

    /**
     * Reads the config file again and, if it changed, applies it; an invalid edit is refused, logged
     * and shown in the status, and the config in force keeps serving.
     */
    synchronized void reload() {
        long started = System.nanoTime();
        ConfigChain.Snapshot files;
        try {
            files = chain.read();
            if (files.sameFilesAs(lastRead)) {
                unreadable = null;
                return;
            }
        } catch (ConfigException e) {
            refuseUnreadable(e);
            return;
        }
        unreadable = null;
        lastRead = files;
        watcher.watch(files.watched());
        try {
            apply(chain.load(files), started);
        } catch (ConfigException e) {
            refuse(e);
        }
    }

    /**
     * Reads the text of the start once more, as an edit would be read, and discards the result: the
     * first edit would otherwise run the reload path's code for the first time, interpreted (at 10,000
     * instances it took twice as long as the edits after it). Off the critical path: Envoy is serving.
     */
    private synchronized void warmUpReload(ConfigChain.Snapshot files) {
        try {
            chain.load(files);
        } catch (ConfigException e) {
            // Not reachable: this text was read without a problem at the start, and a read never reports otherwise.
        }
    }

    /**
     * A file that cannot be read as text is refused like an invalid one, once per distinct problem. A
     * missing file is given one poll period first: mid-swap (an editor's rename, a ConfigMap update) it
     * may be gone for an instant.
     */
    private void refuseUnreadable(ConfigException e) {
        Instant now = Instant.now();
        if (unreadable == null || !unreadable.problem().equals(e.getMessage())) {
            unreadable = new Unreadable(e.getMessage(), now, false);
        }
        boolean missing = e.getMessage().endsWith(ConfigText.NOT_FOUND);
        if (unreadable.reported()
                || missing && Duration.between(unreadable.since(), now).compareTo(ConfigWatcher.POLL_PERIOD) < 0) {
            return;
        }
        unreadable = new Unreadable(unreadable.problem(), unreadable.since(), true);
        // Once the file is readable again, its text is applied even if it is the text read before.
        lastRead = null;
        refuse(e);
    }

    private void refuse(ConfigException e) {
        LOG.warn("Config edit refused; config {} stays in force:\n{}", configVersion(), e.getMessage());
        configStatus.refused(e.problems().stream().map(ConfigProblem::toString).toList());
        metrics.reloaded(false);
    }

    /** Publishes a validated config to every Envoy; {@code started} is when reading its file began. */
    private synchronized void apply(LoadedConfig loaded, long started) {
        loaded.warnings().forEach(w -> LOG.warn("{}", w));
        ResolvedHosts hosts = HostResolver.resolve(loaded.config(), desired.hosts());
        // The servers' lists stand: a config edit does not forget what they listed.
        Desired next = desired.withInputs(loaded.config(), desired.discovered()).withHosts(hosts);
        String changes = desired.file() == null
                ? Summary.of(next.ir())
                : ConfigDiff.describe(ConfigDiff.between(desired.file(), loaded.config()));
        String version = update(Cause.CONFIG_FILE, now -> next, changes);
        metrics.reloaded(true);
        LOG.info(
                "Config {} in force: {} (read and published in {} ms)",
                version,
                changes,
                (System.nanoTime() - started) / 1_000_000);
        logHashAlgorithms(loaded.config());
        logRateLimitAlgorithms(loaded.config());
    }

    /** Why the desired state changed: how the status records the publish, and what the log says. */
    private enum Cause {
        CONFIG_FILE(true, null),
        HOST_ADDRESSES(true, "host addresses changed"),
        DISCOVERED_MODELS(true, null),
        BUDGETS(true, "daily budgets"),
        KEY_EXPIRED(true, "client key expired"),
        // Not config changes: the status keeps the config's version and changes.
        LOAD_WEIGHTS(false, null),
        ENVOYS(false, null),
        CLUSTERS_RETIRED(false, null);

        final boolean changesConfig;
        final String description;

        Cause(boolean changesConfig, String description) {
            this.changesConfig = changesConfig;
            this.description = description;
        }
    }

    private String update(Cause cause, UnaryOperator<Desired> change) {
        return update(cause, change, cause.description);
    }

    /**
     * The one way the router's desired state changes: applies the change, translates the result with the
     * client keys usable now, publishes it to every Envoy, and records it in the status. Nothing is
     * published before the first config (Envoys wait for that one). Returns the version published.
     */
    private synchronized String update(Cause cause, UnaryOperator<Desired> change, String changes) {
        desired = change.apply(desired);
        if (desired.file() == null) {
            return "none";
        }
        Instant now = Instant.now();
        RouterIr ir = desired.ir();
        RouterIr sent = ir.withKeys(
                ir.config().apiKeys().at(now, budgets.limits(ir.config().apiKeys())));
        EnvoyResources resources = translator.translate(
                sent, desired.hosts(), desired.load(), new StatusEndpoint(options.statusHostForEnvoy(), status.port()));
        Instant sentAt = Instant.now();
        // Before Envoy can have it: what the router answers itself (/v1/models, status) never lags Envoy's routes.
        inForce = sent;
        metrics.configure(sent);
        String version = publisher.publish(resources, desired.envoys());
        if (publisher.hasLingering()) {
            retireWhenTaken(publisher.publishes(), publisher.typeVersions(), Instant.now());
        }
        scheduleNextExpiry(ir, now);
        if (cause.changesConfig) {
            configStatus.applied(version, options.config().toString(), sentAt, changes, publisher.typeVersions());
            if (cause != Cause.CONFIG_FILE) {
                LOG.info("Config {} in force: {}", version, changes);
            }
        } else {
            configStatus.reweighted(publisher.typeVersions());
            LOG.debug("{}: snapshot {}", cause, version);
        }
        return version;
    }

    /**
     * Stops publishing the clusters a config dropped once every Envoy took the routes and listeners of
     * that publish (none of which names them), or after {@link #RETIRE_AT_THE_LATEST} for an Envoy that
     * never answers: a dropped cluster is harmless while it lingers, a route to a missing one answers 503.
     */
    private void retireWhenTaken(long publish, Map<String, String> typeVersions, Instant since) {
        Map<String, String> routing = Map.of(
                Resources.V3.ROUTE_TYPE_URL, typeVersions.get(Resources.V3.ROUTE_TYPE_URL),
                Resources.V3.LISTENER_TYPE_URL, typeVersions.get(Resources.V3.LISTENER_TYPE_URL));
        boolean taken = fleet.members().stream().allMatch(envoy -> envoy.holds(routing));
        if (taken || Instant.now().isAfter(since.plus(RETIRE_AT_THE_LATEST))) {
            synchronized (this) {
                publisher.retire(publish);
                update(Cause.CLUSTERS_RETIRED, same -> same);
            }
        } else {
            updates.schedule(() -> retireWhenTaken(publish, typeVersions, since), 20, TimeUnit.MILLISECONDS);
        }
    }

    /** Re-translates when the next client key expires, so that Envoy refuses it from that instant. */
    private void scheduleNextExpiry(RouterIr ir, Instant now) {
        if (nextExpiry != null) {
            nextExpiry.cancel(false);
        }
        nextExpiry = ir.config()
                .apiKeys()
                .nextExpiryAfter(now)
                .map(at -> updates.schedule(
                        () -> update(Cause.KEY_EXPIRED, same -> same),
                        Math.max(0, at.toEpochMilli() - System.currentTimeMillis()),
                        TimeUnit.MILLISECONDS))
                .orElse(null);
    }

    /** Where the usage of client keys is reported (the access-log receiver, tests). */
    public KeyUsage keyUsage() {
        return budgets;
    }

    private static Duration untilMidnightUtc() {
        Instant now = Instant.now();
        return Duration.between(
                now,
                LocalDate.ofInstant(now, ZoneOffset.UTC)
                        .plusDays(1)
                        .atStartOfDay(ZoneOffset.UTC)
                        .toInstant());
    }

    /**
     * Publishes new load-aware weights with the config in force: only the endpoints change, so Envoy
     * is sent EDS alone.
     */
    void publishLoad(LoadWeights weights) {
        update(Cause.LOAD_WEIGHTS, now -> now.withLoad(weights));
    }

    /**
     * Publishes what the servers of {@code models: auto} instances list now: a config change like any other,
     * made from the same config file, so that their models are routed, listed and counted as configured ones.
     */
    void publishDiscovered(DiscoveredModels discovered, String changes) {
        update(Cause.DISCOVERED_MODELS, now -> now.withInputs(now.file(), discovered), changes);
    }

    /**
     * An Envoy joined or left: the fleet's local cluster gets one endpoint per Envoy, so that each divides
     * the rate limits by their number. Run later: the xDS thread that noticed must not wait for a publish.
     */
    private void onFleetChange() {
        later(this::envoysChanged);
    }

    private synchronized void envoysChanged() {
        int envoys = fleet.members().size();
        if (envoys != desired.envoys()) {
            update(Cause.ENVOYS, now -> now.withEnvoys(envoys));
        }
    }

    /** A key's budget was spent, or a new day began: every Envoy gets the keys' new state. */
    private void budgetsChanged() {
        String version = update(Cause.BUDGETS, same -> same);
        LOG.info(
                "Keys past their daily budget now: {} (config {})",
                inForce.config().apiKeys().spent(),
                version);
    }

    /** Runs an update on the updates thread; dropped when the router is closing. */
    private void later(Runnable update) {
        try {
            updates.execute(update);
        } catch (RejectedExecutionException stopping) {
            // Closing: no Envoy will need it.
        }
    }

    /** Requests the supervised Envoy has in flight per endpoint; empty without one, or while it does not answer. */
    private Map<EndpointId, Long> envoyActiveRequests() {
        Optional<EnvoyAdmin> admin = envoyAdminAddress().map(EnvoyAdmin::new);
        if (admin.isEmpty()) {
            return Map.of();
        }
        try {
            return admin.get().hostStatuses().stream()
                    .collect(Collectors.toMap(
                            host -> new EndpointId(host.cluster(), host.hostname()),
                            HostStatus::requestsActive,
                            Long::sum));
        } catch (IOException e) {
            return Map.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Map.of();
        }
    }

    /** Looks the base-url host names up again; Envoy gets the new addresses if any changed. */
    synchronized void refreshDns() {
        ResolvedHosts before = desired.hosts();
        ResolvedHosts hosts = HostResolver.resolve(desired.file(), before);
        if (!hosts.equals(before)) {
            LOG.info("Host addresses changed: {} -> {}", before.ipByHost(), hosts.ipByHost());
            update(Cause.HOST_ADDRESSES, now -> now.withHosts(hosts));
        }
    }

    /** JAiRouter names a digest for ip-hash; Envoy's ring has its own hash. Say so once per name. */
    private static void logHashAlgorithms(RouterConfig config) {
        config.services().values().stream()
                .filter(service -> service.loadBalancing().policy() == LoadBalancePolicy.IP_HASH)
                .map(service -> service.loadBalancing().hashAlgorithm())
                .distinct()
                .forEach(algorithm -> LOG.info(
                        "ip-hash: hash-algorithm '{}' is accepted, but Envoy's consistent-hash"
                                + " ring hashes client addresses with xxHash; a client still always reaches the same instance"
                                + " while the instances stay the same",
                        algorithm));
    }

    /** Envoy has one rate-limit algorithm, the token bucket; say once how each other one maps onto it. */
    private static void logRateLimitAlgorithms(RouterConfig config) {
        config.services().values().stream()
                .map(ServiceConfig::rateLimit)
                .filter(RateLimit::enabled)
                .map(RateLimit::algorithm)
                .filter(algorithm -> algorithm != RateLimit.Algorithm.TOKEN_BUCKET)
                .distinct()
                .forEach(algorithm -> LOG.info(
                        "rate-limit: algorithm '{}' is enforced by Envoy's token bucket {}",
                        algorithm.key(),
                        algorithm.mapping()));
    }

    private void startEnvoy() throws IOException, InterruptedException {
        Path binary = EnvoyBinary.locate(options.envoyBinary(), options.envoyInstallDir());
        logVersion(binary);
        String bootstrap = EnvoyBootstrap.render(
                options.nodeId(),
                options.adminAddress(),
                options.adminPort(),
                options.xdsAddress(),
                xds.port(),
                options.envoyLimits());
        envoy = EnvoyProcess.startOrAdopt(
                binary, bootstrap, options.workDir(), options.envoyLogLevel(), options.concurrency());
    }

    /** Asking the binary its version runs it once more: off the start path, for the log alone. */
    private static void logVersion(Path binary) {
        Thread thread = new Thread(
                () -> {
                    try {
                        LOG.info("Envoy: {} ({})", binary, EnvoyBinary.version(binary));
                    } catch (IOException e) {
                        LOG.warn("Envoy: {} (its version is unknown: {})", binary, e.toString());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                },
                "envoy-version");
        thread.setDaemon(true);
        thread.start();
    }

    public String configVersion() {
        return configStatus.applied().map(ConfigStatus.Applied::version).orElse("none");
    }

    public ConfigStatus configStatus() {
        return configStatus;
    }

    public int xdsPort() {
        return xds.port();
    }

    public int statusPort() {
        return status.port();
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
                        LOG.info(
                                "JAiRouter ready: http://{}:{}/v1 (Envoy admin on {})",
                                inForce.config().listener().address(),
                                port.get(),
                                admin.get().address());
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

    /** Stops the control plane and its Envoy. */
    @Override
    public void close() {
        dnsRefresh.shutdownNow();
        closeQuietly(scraper);
        closeQuietly(discovery);
        metrics.close();
        updates.shutdownNow();
        budgetBooks.shutdownNow();
        closeQuietly(watcher);
        closeQuietly(envoy);
        closeQuietly(status);
        closeQuietly(xds);
        // Last: no record arrives once the xDS server is closed.
        if (budgets != null) {
            budgets.flush();
        }
    }

    private static ScheduledExecutorService daemonScheduler(String name) {
        return Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        });
    }

    private static void closeQuietly(AutoCloseable part) {
        if (part == null) {
            return;
        }
        try {
            part.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.warn("Stopping {} failed: {}", part.getClass().getSimpleName(), e.toString());
        }
    }
}
