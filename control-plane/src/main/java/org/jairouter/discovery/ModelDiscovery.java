package org.jairouter.discovery;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.jairouter.config.Instance;
import org.jairouter.ir.DiscoveredModels;
import org.jairouter.ir.RouterIr;
import org.jairouter.load.ScrapeClients;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks the server of every active {@code models: auto} instance which models it serves ({@code GET /v1/models}),
 * all at once, every {@link #PERIOD}, and hands the lists on whenever one changes. It runs on its own thread:
 * no request ever waits on it. A server that does not answer, answers an error or garbage within {@link
 * #TIMEOUT} keeps the list it last gave (a restarting server does not lose its routes), and its problem is
 * logged once and shown in the status until it answers again.
 */
public final class ModelDiscovery implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ModelDiscovery.class);
    /** How soon a model loaded into a server, or unloaded from it, is routed or no longer. */
    static final Duration PERIOD = Duration.ofSeconds(2);
    /** The longest a list request may take: less than the period, so that rounds never overlap. */
    static final Duration TIMEOUT = Duration.ofSeconds(1);

    private final Supplier<RouterIr> inForce;
    private final BiConsumer<DiscoveredModels, String> publish;
    private final ScrapeClients clients = new ScrapeClients(TIMEOUT);
    private final Thread loop;

    private DiscoveredModels published = DiscoveredModels.NONE;
    /** Servers listing more models than are taken, so that the warning is logged once per list size. */
    private final Map<URI, Integer> cappedAt = new HashMap<>();
    /** Why each server's latest list request failed; replaced whole each round, for the status. */
    private volatile Map<URI, String> problems = Map.of();

    private ModelDiscovery(Supplier<RouterIr> inForce, BiConsumer<DiscoveredModels, String> publish) {
        this.inForce = inForce;
        this.publish = publish;
        this.loop = new Thread(this::run, "model-discovery");
        loop.setDaemon(true);
    }

    /**
     * @param inForce the router in force: which servers to ask
     * @param publish receives every list each time one changes, with the change in words
     */
    public static ModelDiscovery start(Supplier<RouterIr> inForce, BiConsumer<DiscoveredModels, String> publish) {
        ModelDiscovery discovery = new ModelDiscovery(inForce, publish);
        discovery.loop.start();
        return discovery;
    }

    private void run() {
        try {
            while (!Thread.currentThread().isInterrupted()) {
                long start = System.nanoTime();
                RouterIr ir = inForce.get();
                if (ir != null) {
                    round(ir);
                }
                long left = PERIOD.toNanos() - (System.nanoTime() - start);
                if (left > 0) {
                    Thread.sleep(left / 1_000_000, (int) (left % 1_000_000));
                }
            }
        } catch (InterruptedException stopped) {
            Thread.currentThread().interrupt();
        }
    }

    private void round(RouterIr ir) {
        Map<URI, Instance> servers = new LinkedHashMap<>();
        ir.discovering().stream()
                .filter(auto -> auto.instance().active())
                .forEach(auto -> servers.putIfAbsent(auto.modelsUrl(), auto.instance()));
        Path caBundle = Path.of(ir.config().upstreamCaFile());
        Map<URI, CompletableFuture<ListedModels>> asked = new LinkedHashMap<>();
        servers.forEach((url, instance) -> asked.put(url, ask(url, instance, caBundle)));
        Map<URI, List<String>> lists = new HashMap<>();
        Map<URI, String> failed = new HashMap<>();
        asked.forEach((url, answer) -> {
            try {
                ListedModels listed = answer.join();
                lists.put(url, listed.models());
                warnIfCapped(url, listed);
                if (problems.containsKey(url)) {
                    LOG.info("models: auto: {} answers again", url);
                }
            } catch (CompletionException e) {
                String problem = e.getCause().toString();
                failed.put(url, problem);
                published.at(url).ifPresent(last -> lists.put(url, last));
                if (!problems.containsKey(url)) {
                    LOG.warn(
                            "models: auto: cannot read {} ({}); its last list ({}) stays routed until it answers",
                            url,
                            problem,
                            published.at(url).map(List::toString).orElse("none yet"));
                }
            }
        });
        problems = Map.copyOf(failed);
        DiscoveredModels now = new DiscoveredModels(lists);
        if (!now.equals(published)) {
            String changes = changes(published, now);
            published = now;
            publish.accept(now, changes);
        }
    }

    private CompletableFuture<ListedModels> ask(URI url, Instance instance, Path caBundle) {
        HttpRequest.Builder request =
                HttpRequest.newBuilder(url).timeout(TIMEOUT).GET();
        // A server behind a key (vLLM's --api-key) lists its models to that key only.
        instance.headers().forEach((name, value) -> {
            try {
                request.header(name, value.value());
            } catch (IllegalArgumentException restricted) {
                // connection, expect, upgrade: the JDK's client sets them itself; no server needs them to list.
            }
        });
        HttpClient client;
        try {
            client = instance.tls() ? clients.trusting(caBundle) : clients.plain();
        } catch (IOException | GeneralSecurityException e) {
            return CompletableFuture.failedFuture(
                    new IOException("cannot use the CA bundle " + caBundle + ": " + e, e));
        }
        return client.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString())
                .thenApply(response -> {
                    if (response.statusCode() != 200) {
                        throw new CompletionException(new IOException("HTTP " + response.statusCode()));
                    }
                    try {
                        return ListedModels.read(response.body());
                    } catch (IOException e) {
                        throw new CompletionException(e);
                    }
                });
    }

    private void warnIfCapped(URI url, ListedModels listed) {
        if (!listed.capped()) {
            cappedAt.remove(url);
        } else if (!Integer.valueOf(listed.listed()).equals(cappedAt.put(url, listed.listed()))) {
            LOG.warn(
                    "models: auto: {} lists {} models; the first {} by name are routed (at most {} per server keeps"
                            + " Envoy's clusters and the metrics' labels bounded): name the others in the config",
                    url,
                    listed.listed(),
                    listed.models().size(),
                    ListedModels.MAX_PER_SERVER);
        }
    }

    /** Per server whose list changed, the models it added and removed. */
    private static String changes(DiscoveredModels before, DiscoveredModels after) {
        List<String> changes = new ArrayList<>();
        after.byList().forEach((url, models) -> {
            List<String> old = before.at(url).orElse(List.of());
            List<String> added = models.stream()
                    .filter(m -> !old.contains(m))
                    .map(m -> "+" + m)
                    .toList();
            List<String> removed = old.stream()
                    .filter(m -> !models.contains(m))
                    .map(m -> "-" + m)
                    .toList();
            if (!added.isEmpty() || !removed.isEmpty() || before.at(url).isEmpty()) {
                List<String> both = new ArrayList<>(added);
                both.addAll(removed);
                changes.add(url + " lists " + (both.isEmpty() ? "no model" : String.join(" ", both)));
            }
        });
        before.byList().keySet().stream()
                .filter(url -> !after.byList().containsKey(url))
                .forEach(url -> changes.add(url + " no longer asked"));
        return "models discovered: " + String.join("; ", changes);
    }

    /** Why each server's latest list request failed, by its models URL; absent when it answered. */
    public Map<URI, String> problems() {
        return problems;
    }

    @Override
    public void close() {
        loop.interrupt();
    }
}
