package org.jairouter.app;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
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
import org.jairouter.envoy.EnvoyAdmin;
import org.jairouter.envoy.EnvoyBinary;
import org.jairouter.envoy.EnvoyBootstrap;
import org.jairouter.envoy.EnvoyProcess;
import org.jairouter.envoy.HostStatus;
import org.jairouter.load.LoadScraper;
import org.jairouter.status.ConfigStatus;
import org.jairouter.status.StatusReport;
import org.jairouter.status.StatusServer;
import org.jairouter.translate.EnvoyTranslator;
import org.jairouter.translate.LoadWeights;
import org.jairouter.translate.ModelResourceCache;
import org.jairouter.translate.Names;
import org.jairouter.translate.ResolvedHosts;
import org.jairouter.translate.StatusEndpoint;
import org.jairouter.translate.Translation;
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
    /** The models' resources last translated: an edit re-translates only the models it touches. */
    private final ModelResourceCache modelResources = new ModelResourceCache();
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

    private final ScheduledExecutorService dnsRefresh = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "dns-refresh");
        thread.setDaemon(true);
        return thread;
    });
    /** Re-translates when a client key expires, so that Envoy refuses it from that instant. */
    private final ScheduledExecutorService keyExpiry = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "key-expiry");
        thread.setDaemon(true);
        return thread;
    });

    private ScheduledFuture<?> nextExpiry;
    private BudgetLedger budgets;
    private volatile ResolvedHosts resolved;
    /** What load-aware last learnt from the model servers; every publish carries it. */
    private LoadWeights load = LoadWeights.NONE;

    private volatile LoadScraper scraper;
    private EnvoyProcess envoy;
    /** The config in force and what it was translated into: what the status side reads. */
    private volatile Translation inForce;
    /**
     * The config in force as the file says, expired keys included: what every publish translates and the
     * next edit is compared with (the translation's own config lacks the keys expired so far).
     */
    private RouterConfig fromFile;
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
                    spent -> router.keyExpiry.execute(router::applyBudgets));
            router.keyExpiry.scheduleWithFixedDelay(router.budgets::flush, 1, 1, TimeUnit.SECONDS);
            router.keyExpiry.scheduleAtFixedRate(
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
                                    router.budgets::usedToday)
                            .withLoadReadings(() -> router.scraper == null ? Map.of() : router.scraper.readings()),
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
            router.keyExpiry.execute(() -> router.warmUpReload(files));
            router.scraper = LoadScraper.start(() -> router.inForce, router::envoyActiveRequests, router::publishLoad);
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
    private void apply(LoadedConfig loaded, long started) {
        loaded.warnings().forEach(w -> LOG.warn("{}", w));
        ResolvedHosts hosts = HostResolver.resolve(loaded.config(), resolved);
        String changes = fromFile == null
                ? Summary.of(loaded.config())
                : ConfigDiff.describe(ConfigDiff.between(fromFile, loaded.config()));
        fromFile = loaded.config();
        Sent sent = publish(fromFile, hosts);
        String version = sent.version();
        resolved = hosts;
        metrics.reloaded(true);
        recordApplied(sent, changes);
        LOG.info(
                "Config {} in force: {} (read and published in {} ms)",
                version,
                changes,
                (System.nanoTime() - started) / 1_000_000);
        logHashAlgorithms(loaded.config());
        logRateLimitAlgorithms(loaded.config());
    }

    /** A config handed to the Envoys: its version, and when it was sent (Envoy may answer at once). */
    private record Sent(String version, Instant at) {}

    /** Translates the config with the client keys usable now, and schedules the next key expiry. */
    private Sent publish(RouterConfig config, ResolvedHosts hosts) {
        Instant now = Instant.now();
        Set<String> spent = budgets.limits(config.apiKeys());
        Translation translation = EnvoyTranslator.translate(
                config.keysAt(now, spent),
                hosts,
                load,
                new StatusEndpoint(options.statusHostForEnvoy(), status.port()),
                modelResources);
        Instant sentAt = Instant.now();
        String version = publisher.publish(translation.resources());
        inForce = translation;
        metrics.configure(translation);
        if (nextExpiry != null) {
            nextExpiry.cancel(false);
        }
        nextExpiry = config.apiKeys()
                .nextExpiryAfter(now)
                .map(at -> keyExpiry.schedule(
                        this::expireKeys,
                        Math.max(0, at.toEpochMilli() - System.currentTimeMillis()),
                        TimeUnit.MILLISECONDS))
                .orElse(null);
        return new Sent(version, sentAt);
    }

    private void recordApplied(Sent sent, String changes) {
        configStatus.applied(sent.version(), options.config().toString(), sent.at(), changes, publisher.typeVersions());
    }

    /** Where the usage of client keys is reported (the access-log receiver, tests). */
    public KeyUsage keyUsage() {
        return budgets;
    }

    /** A key's budget was spent (or a new day began): every Envoy gets the keys' new state. */
    private synchronized void applyBudgets() {
        Sent sent = publish(fromFile, resolved);
        LOG.info(
                "Keys past their daily budget now: {}; config {} in force",
                inForce.config().apiKeys().spent(),
                sent.version());
        recordApplied(sent, "daily budgets");
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

    private synchronized void expireKeys() {
        Sent sent = publish(fromFile, resolved);
        LOG.info("A client key expired; config {} in force", sent.version());
        recordApplied(sent, "client key expired");
    }

    /**
     * Publishes new load-aware weights with the config in force: only the endpoints change, so Envoy
     * is sent EDS alone. Not a config change: the status keeps the config's version and changes.
     */
    synchronized void publishLoad(LoadWeights weights) {
        load = weights;
        Sent sent = publish(fromFile, resolved);
        configStatus.reweighted(publisher.typeVersions());
        LOG.debug("load-aware weights {}; snapshot {}", weights.shareByEndpoint(), sent.version());
    }

    /** Off the xDS thread that noticed it, which must not wait for a publish. */
    private void onFleetChange() {
        try {
            keyExpiry.execute(this::fleetChanged);
        } catch (RejectedExecutionException stopping) {
            // The router is closing: no Envoy will need the new size.
        }
    }

    /**
     * An Envoy joined or left: the fleet's local cluster gets one endpoint per Envoy, so that each
     * divides the rate limits by their number. Not a config change, like new weights.
     */
    private synchronized void fleetChanged() {
        if (publisher.fleetChanged(fleet.members().size()) && inForce != null) {
            configStatus.reweighted(publisher.typeVersions());
        }
    }

    /** Requests the supervised Envoy has in flight per endpoint; empty without one, or while it does not answer. */
    private Map<Translation.EndpointId, Long> envoyActiveRequests() {
        Optional<EnvoyAdmin> admin = envoyAdminAddress().map(EnvoyAdmin::new);
        if (admin.isEmpty()) {
            return Map.of();
        }
        try {
            return admin.get().hostStatuses().stream()
                    .collect(Collectors.toMap(
                            host -> new Translation.EndpointId(host.cluster(), host.hostname()),
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
        RouterConfig current = fromFile;
        ResolvedHosts hosts = HostResolver.resolve(current, resolved);
        if (!hosts.equals(resolved)) {
            Sent sent = publish(current, hosts);
            LOG.info(
                    "Host addresses changed ({} -> {}); config {} in force",
                    resolved.ipByHost(),
                    hosts.ipByHost(),
                    sent.version());
            resolved = hosts;
            recordApplied(sent, "host addresses changed");
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
        metrics.close();
        keyExpiry.shutdownNow();
        closeQuietly(watcher);
        closeQuietly(envoy);
        closeQuietly(status);
        closeQuietly(xds);
        // Last: no record arrives once the xDS server is closed.
        if (budgets != null) {
            budgets.flush();
        }
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
