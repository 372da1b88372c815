package org.jairouter.load;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jairouter.config.LoadBalancePolicy;
import org.jairouter.config.LoadBalancing;
import org.jairouter.ir.EndpointId;
import org.jairouter.ir.RouterIr;
import org.jairouter.translate.LoadWeights;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the metrics of every load-aware instance, all at once, each round of the scrape interval, and
 * hands the resulting {@link LoadWeights} on whenever they change. It runs on its own thread: no request
 * ever waits on it. A scrape that fails, times out or is not understood leaves its instance at its full
 * weight (least-request alone) until a scrape succeeds again.
 */
public final class LoadScraper implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LoadScraper.class);
    /** The longest a scrape may take, and the round length when no service is load-aware. */
    private static final Duration MAX_TIMEOUT = Duration.ofSeconds(1);

    private final Supplier<RouterIr> inForce;
    private final Consumer<LoadWeights> publish;
    private final Supplier<Map<EndpointId, Long>> envoyActive;
    private final ScrapeClients clients = new ScrapeClients(MAX_TIMEOUT);
    private final Thread loop;
    /** Endpoints whose last scrape failed, so that a failure is logged once, not every round. */
    private final Set<EndpointId> failing = new HashSet<>();

    private LoadWeights published = LoadWeights.NONE;
    /** The latest round's readings, replaced whole each round, for the status. */
    private volatile Map<EndpointId, LoadReading> readings = Map.of();

    private LoadScraper(
            Supplier<RouterIr> inForce, Supplier<Map<EndpointId, Long>> envoyActive, Consumer<LoadWeights> publish) {
        this.inForce = inForce;
        this.envoyActive = envoyActive;
        this.publish = publish;
        this.loop = new Thread(this::run, "load-scraper");
        loop.setDaemon(true);
    }

    /**
     * @param inForce     the router in force: which instances to read, and under which endpoint names
     * @param envoyActive the requests Envoy has in flight to each endpoint (empty when it cannot be read)
     * @param publish     receives the weights each time they change
     */
    public static LoadScraper start(
            Supplier<RouterIr> inForce, Supplier<Map<EndpointId, Long>> envoyActive, Consumer<LoadWeights> publish) {
        LoadScraper scraper = new LoadScraper(inForce, envoyActive, publish);
        scraper.loop.start();
        return scraper;
    }

    private void run() {
        try {
            while (!Thread.currentThread().isInterrupted()) {
                long start = System.nanoTime();
                Duration interval = interval(inForce.get());
                round(inForce.get(), interval.compareTo(MAX_TIMEOUT) < 0 ? interval : MAX_TIMEOUT);
                long left = interval.toNanos() - (System.nanoTime() - start);
                if (left > 0) {
                    Thread.sleep(left / 1_000_000, (int) (left % 1_000_000));
                }
            }
        } catch (InterruptedException stopped) {
            Thread.currentThread().interrupt();
        }
    }

    /** The shortest interval of the load-aware services. */
    private static Duration interval(RouterIr ir) {
        if (ir == null) {
            return MAX_TIMEOUT;
        }
        return ir.config().services().values().stream()
                .map(service -> service.loadBalancing())
                .filter(lb -> lb.policy() == LoadBalancePolicy.LOAD_AWARE)
                .map(LoadBalancing::scrapeInterval)
                .min(Duration::compareTo)
                .orElse(MAX_TIMEOUT);
    }

    private void round(RouterIr ir, Duration timeout) {
        if (ir == null) {
            return;
        }
        List<ScrapeTarget> targets = ScrapeTarget.of(ir);
        Map<ScrapeTarget, CompletableFuture<Optional<ServerLoad>>> scrapes = new HashMap<>();
        targets.forEach(target -> scrapes.put(target, scrape(target, timeout)));
        Map<EndpointId, Integer> shares = new HashMap<>();
        Map<EndpointId, LoadReading> read = new HashMap<>();
        Map<EndpointId, Long> active = targets.isEmpty() ? Map.of() : envoyActive.get();
        scrapes.forEach((target, scrape) -> {
            String problem;
            try {
                Optional<ServerLoad> load = scrape.join();
                if (load.isPresent()) {
                    int share = LoadWeighting.share(load.get(), active.getOrDefault(target.endpoint(), 0L));
                    shares.put(target.endpoint(), share);
                    read.put(target.endpoint(), LoadReading.read(load.get(), Instant.now(), share));
                    if (failing.remove(target.endpoint())) {
                        LOG.info("load-aware: metrics of {} readable again", target.metrics());
                    }
                    return;
                }
                problem = "no " + target.names().waiting() + " / "
                        + target.names().running() + " in the answer";
            } catch (CompletionException e) {
                problem = e.getCause().toString();
            }
            read.put(
                    target.endpoint(),
                    readings.getOrDefault(target.endpoint(), LoadReading.NEVER_READ)
                            .failed(problem, LoadWeights.FULL));
            if (failing.add(target.endpoint())) {
                LOG.warn(
                        "load-aware: cannot read {} ({}); the instance is balanced on requests in flight alone"
                                + " until it can",
                        target.metrics(),
                        problem);
            }
        });
        failing.retainAll(targets.stream().map(ScrapeTarget::endpoint).toList());
        readings = Map.copyOf(read);
        LoadWeights weights = new LoadWeights(shares);
        if (!weights.equals(published)) {
            published = weights;
            publish.accept(weights);
        }
    }

    private CompletableFuture<Optional<ServerLoad>> scrape(ScrapeTarget target, Duration timeout) {
        HttpRequest request =
                HttpRequest.newBuilder(target.metrics()).timeout(timeout).GET().build();
        HttpClient client;
        try {
            client = target.caBundle().isPresent()
                    ? clients.trusting(target.caBundle().get())
                    : clients.plain();
        } catch (IOException | GeneralSecurityException e) {
            return CompletableFuture.failedFuture(new IOException(
                    "cannot use the CA bundle " + target.caBundle().get() + ": " + e, e));
        }
        return client.sendAsync(request, HttpResponse.BodyHandlers.ofString()).thenApply(response -> {
            if (response.statusCode() != 200) {
                throw new CompletionException(new IllegalStateException("HTTP " + response.statusCode()));
            }
            return target.names().read(response.body());
        });
    }

    /** The latest reading of every load-aware instance the scraper reads, by its endpoint. */
    public Map<EndpointId, LoadReading> readings() {
        return readings;
    }

    @Override
    public void close() {
        loop.interrupt();
    }
}
