package org.jairouter.load;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
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
import org.jairouter.translate.LoadWeights;
import org.jairouter.translate.Translation;
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

    private final Supplier<Translation> inForce;
    private final Consumer<LoadWeights> publish;
    private final Supplier<Map<Translation.EndpointId, Long>> envoyActive;
    /**
     * Made at the first scrape, on the scraper's thread alone: a java.net.http client sets up a TLS context
     * (about 400 classes), which a start, and a config without load-aware services, need not pay for.
     */
    private HttpClient client;

    private final Thread loop;
    /** Endpoints whose last scrape failed, so that a failure is logged once, not every round. */
    private final Set<Translation.EndpointId> failing = new HashSet<>();

    private LoadWeights published = LoadWeights.NONE;

    private LoadScraper(
            Supplier<Translation> inForce,
            Supplier<Map<Translation.EndpointId, Long>> envoyActive,
            Consumer<LoadWeights> publish) {
        this.inForce = inForce;
        this.envoyActive = envoyActive;
        this.publish = publish;
        this.loop = new Thread(this::run, "load-scraper");
        loop.setDaemon(true);
    }

    /**
     * @param inForce     the translation in force: which instances to read, and under which endpoint names
     * @param envoyActive the requests Envoy has in flight to each endpoint (empty when it cannot be read)
     * @param publish     receives the weights each time they change
     */
    public static LoadScraper start(
            Supplier<Translation> inForce,
            Supplier<Map<Translation.EndpointId, Long>> envoyActive,
            Consumer<LoadWeights> publish) {
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
    private static Duration interval(Translation translation) {
        if (translation == null) {
            return MAX_TIMEOUT;
        }
        return translation.config().services().values().stream()
                .map(service -> service.loadBalancing())
                .filter(lb -> lb.policy() == LoadBalancePolicy.LOAD_AWARE)
                .map(LoadBalancing::scrapeInterval)
                .min(Duration::compareTo)
                .orElse(MAX_TIMEOUT);
    }

    private void round(Translation translation, Duration timeout) {
        if (translation == null) {
            return;
        }
        List<ScrapeTarget> targets = ScrapeTarget.of(translation);
        Map<ScrapeTarget, CompletableFuture<Optional<ServerLoad>>> scrapes = new HashMap<>();
        targets.forEach(target -> scrapes.put(target, scrape(target, timeout)));
        Map<Translation.EndpointId, Integer> shares = new HashMap<>();
        Map<Translation.EndpointId, Long> active = targets.isEmpty() ? Map.of() : envoyActive.get();
        scrapes.forEach((target, scrape) -> {
            String problem;
            try {
                Optional<ServerLoad> load = scrape.join();
                if (load.isPresent()) {
                    shares.put(
                            target.endpoint(),
                            LoadWeighting.share(load.get(), active.getOrDefault(target.endpoint(), 0L)));
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
            if (failing.add(target.endpoint())) {
                LOG.warn(
                        "load-aware: cannot read {} ({}); the instance is balanced on requests in flight alone"
                                + " until it can",
                        target.metrics(),
                        problem);
            }
        });
        failing.retainAll(targets.stream().map(ScrapeTarget::endpoint).toList());
        LoadWeights weights = new LoadWeights(shares);
        if (!weights.equals(published)) {
            published = weights;
            publish.accept(weights);
        }
    }

    private CompletableFuture<Optional<ServerLoad>> scrape(ScrapeTarget target, Duration timeout) {
        HttpRequest request =
                HttpRequest.newBuilder(target.metrics()).timeout(timeout).GET().build();
        return client().sendAsync(request, HttpResponse.BodyHandlers.ofString()).thenApply(response -> {
            if (response.statusCode() != 200) {
                throw new CompletionException(new IllegalStateException("HTTP " + response.statusCode()));
            }
            return target.names().read(response.body());
        });
    }

    private HttpClient client() {
        if (client == null) {
            client = HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(MAX_TIMEOUT)
                    .build();
        }
        return client;
    }

    @Override
    public void close() {
        loop.interrupt();
    }
}
