package org.jairouter.status;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.jairouter.budget.BudgetLedger;
import org.jairouter.config.ApiKey;
import org.jairouter.config.ApiKeys;
import org.jairouter.config.HealthCheck;
import org.jairouter.config.Instance;
import org.jairouter.config.ServiceConfig;
import org.jairouter.config.ServiceType;
import org.jairouter.envoy.EnvoyAdmin;
import org.jairouter.envoy.HostStatus;
import org.jairouter.ir.EndpointId;
import org.jairouter.ir.RouterIr;
import org.jairouter.ir.ServiceIr;
import org.jairouter.load.LoadReading;
import org.jairouter.xds.EnvoyFleet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the status documents from the config in force and, live, from Envoy's admin data. Only what
 * the config names is reported (models, base-urls, paths, weights): upstream secrets never appear.
 */
public final class StatusReport {
    private static final Logger LOG = LoggerFactory.getLogger(StatusReport.class);
    private final Supplier<RouterIr> inForce;
    private final Supplier<Optional<List<HostStatus>>> envoyHosts;
    private final ConfigStatus configStatus;
    private final EnvoyFleet fleet;
    private final Supplier<BudgetLedger.Books> books;
    private final Supplier<Map<EndpointId, LoadReading>> loadReadings;
    private final Supplier<Map<URI, String>> discoveryProblems;

    /**
     * @param inForce    the config in force and what it was translated into
     * @param envoyHosts Envoy's view of every endpoint, or empty when it cannot be read
     * @param books      what each client key used today, and its requests in flight, by key id
     */
    public StatusReport(
            Supplier<RouterIr> inForce,
            Supplier<Optional<List<HostStatus>>> envoyHosts,
            ConfigStatus configStatus,
            EnvoyFleet fleet,
            Supplier<BudgetLedger.Books> books) {
        this(inForce, envoyHosts, configStatus, fleet, books, Map::of, Map::of);
    }

    private StatusReport(
            Supplier<RouterIr> inForce,
            Supplier<Optional<List<HostStatus>>> envoyHosts,
            ConfigStatus configStatus,
            EnvoyFleet fleet,
            Supplier<BudgetLedger.Books> books,
            Supplier<Map<EndpointId, LoadReading>> loadReadings,
            Supplier<Map<URI, String>> discoveryProblems) {
        this.inForce = inForce;
        this.envoyHosts = envoyHosts;
        this.configStatus = configStatus;
        this.fleet = fleet;
        this.books = books;
        this.loadReadings = loadReadings;
        this.discoveryProblems = discoveryProblems;
    }

    /** This report, with what load-aware last read from each instance's metrics. */
    public StatusReport withLoadReadings(Supplier<Map<EndpointId, LoadReading>> readings) {
        return new StatusReport(inForce, envoyHosts, configStatus, fleet, books, readings, discoveryProblems);
    }

    /** This report, with why the latest model list request of each {@code models: auto} server failed. */
    public StatusReport withDiscoveryProblems(Supplier<Map<URI, String>> problems) {
        return new StatusReport(inForce, envoyHosts, configStatus, fleet, books, loadReadings, problems);
    }

    /** Everything: the config in force, the Envoys served, every service. */
    public Map<String, Object> overall() {
        Map<String, Object> status = new LinkedHashMap<>();
        List<EnvoyFleet.Member> envoys = fleet.members();
        status.put("config", ConfigReport.of(configStatus, envoys));
        status.put("envoys", ConfigReport.envoys(configStatus, envoys));
        // One config and one read of Envoy for the whole document, even if a reload lands meanwhile.
        RouterIr current = inForce.get();
        Optional<List<HostStatus>> hosts = envoyHosts.get();
        Map<String, ServiceReport> services = new LinkedHashMap<>();
        Map<EndpointId, LoadReading> load = loadReadings.get();
        current.services().values().forEach(s -> services.put(s.type().key(), service(s, hosts, load)));
        status.put("services", services);
        if (!current.discovering().isEmpty()) {
            Map<URI, String> problems = discoveryProblems.get();
            status.put(
                    "models_auto",
                    current.discovering().stream()
                            .map(auto -> DiscoveryReport.of(auto, Optional.ofNullable(problems.get(auto.modelsUrl()))))
                            .toList());
        }
        if (current.config().apiKeys().enforced()) {
            status.put("keys", keys(current.config().apiKeys()));
        }
        return status;
    }

    /** Per client key, by id only: what it used today (UTC) against its daily budget (0 = none). */
    private Map<String, Object> keys(ApiKeys keys) {
        BudgetLedger.Books now = books.get();
        Map<String, Object> report = new LinkedHashMap<>();
        keys.keys().forEach(key -> report.put(key.id(), usage(key, keys, now)));
        return report;
    }

    private static Map<String, Object> usage(ApiKey key, ApiKeys keys, BudgetLedger.Books books) {
        BudgetLedger.Used today = books.usedToday().getOrDefault(key.id(), new BudgetLedger.Used(0, 0, 0));
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("requests_today", today.requests());
        // Counted for keys with a daily budget only (their requests' starts are logged), else 0.
        entry.put("requests_in_flight", books.inFlight().getOrDefault(key.id(), 0));
        entry.put("daily_request_limit", key.dailyRequests());
        entry.put("tokens_today", today.tokens());
        entry.put("daily_token_limit", key.dailyTokens());
        entry.put("budget_spent", keys.spent().contains(key.id()));
        return entry;
    }

    /**
     * The client key a request through the router's port was authenticated with, as Envoy names it; empty
     * when keys are not enforced or the request came to the status port itself (no key named), which see
     * everything. An id the config no longer knows (a key revoked meanwhile) is a key that may use nothing.
     */
    public Optional<ApiKey> caller(Optional<String> keyId) {
        ApiKeys keys = inForce.get().config().apiKeys();
        if (!keys.enforced()) {
            return Optional.empty();
        }
        return keyId.map(id -> keys.byId(id).orElseGet(() -> ApiKey.permittingNothing(id)));
    }

    /**
     * What a client key sees of the status: its own usage and limits, and the services it may call with
     * the models it may use. No instance, base-url, config file, Envoy or other key appears.
     */
    public Map<String, Object> forKey(ApiKey key) {
        ApiKeys keys = inForce.get().config().apiKeys();
        Map<String, Object> own = new LinkedHashMap<>();
        own.put("id", key.id());
        own.putAll(usage(key, keys, books.get()));
        Map<String, Object> services = new LinkedHashMap<>();
        for (ServiceType type : inForce.get().services().keySet()) {
            if (key.services().contains(type)) {
                service(type).ifPresent(report -> services.put(type.key(), report.forKey(type, key)));
            }
        }
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("key", own);
        status.put("services", services);
        return status;
    }

    public Optional<ServiceReport> service(ServiceType type) {
        RouterIr current = inForce.get();
        return current.service(type).map(service -> service(service, envoyHosts.get(), loadReadings.get()));
    }

    /** The models served, in OpenAI's list format: those the caller may use, every one for no caller. */
    public Map<String, Object> models(Optional<ApiKey> key) {
        Map<String, Object> list = new LinkedHashMap<>();
        list.put("object", "list");
        list.put("data", modelObjects(key));
        return list;
    }

    /** One model as {@link #models} lists it; empty when it is not served, or the caller may not use it. */
    public Optional<Map<String, Object>> model(String id, Optional<ApiKey> key) {
        return modelObjects(key).stream()
                .filter(model -> model.get("id").equals(id))
                .findFirst();
    }

    private List<Map<String, Object>> modelObjects(Optional<ApiKey> key) {
        long created = configStatus.applied().map(a -> a.at().getEpochSecond()).orElse(0L);
        RouterIr current = inForce.get();
        Set<String> models = new LinkedHashSet<>();
        current.services()
                .values()
                .forEach(s -> s.models().keySet().stream()
                        .filter(model -> key.map(k -> k.mayUse(s.type(), model)).orElse(true))
                        .forEach(models::add));
        return models.stream()
                .map(id -> {
                    Map<String, Object> model = new LinkedHashMap<>();
                    model.put("id", id);
                    model.put("object", "model");
                    model.put("created", created);
                    model.put("owned_by", "jairouter");
                    return model;
                })
                .toList();
    }

    private static ServiceReport service(
            ServiceIr serviceIr, Optional<List<HostStatus>> hosts, Map<EndpointId, LoadReading> load) {
        ServiceConfig service = serviceIr.config();
        List<ServiceReport.InstanceReport> instances = new ArrayList<>();
        for (Instance instance : service.instances()) {
            Optional<EndpointId> endpoint = serviceIr.endpoint(instance);
            Optional<HostStatus> host = endpoint.flatMap(id -> hosts.flatMap(all -> all.stream()
                    .filter(h ->
                            h.cluster().equals(id.cluster()) && h.hostname().equals(id.hostname()))
                    .findFirst()));
            ServiceReport.LoadReport loadReport = endpoint.map(load::get)
                    .map(reading -> loadReport(reading, host))
                    .orElse(null);
            instances.add(instance(instance, host, hosts.isPresent(), loadReport));
        }
        int healthy = (int)
                instances.stream().filter(i -> Boolean.TRUE.equals(i.healthy())).count();
        return new ServiceReport(
                service.type().key(),
                service.type().publicPath(),
                service.loadBalancing().policy().key(),
                List.copyOf(serviceIr.models().keySet()),
                service.instances().size(),
                healthy > 0,
                healthy,
                describe(service.healthCheck()),
                hosts.isPresent(),
                instances);
    }

    private static ServiceReport.LoadReport loadReport(LoadReading reading, Optional<HostStatus> host) {
        return new ServiceReport.LoadReport(
                reading.waiting(),
                reading.running(),
                reading.kvCacheUsage().map(usage -> 100 * usage),
                reading.readAt().map(at -> Duration.between(at, Instant.now()).toMillis() / 1000.0),
                reading.share(),
                host.map(HostStatus::weight),
                reading.problem());
    }

    private static ServiceReport.InstanceReport instance(
            Instance instance, Optional<HostStatus> host, boolean live, ServiceReport.LoadReport load) {
        String reason = null;
        Boolean healthy = host.map(HostStatus::healthy).orElse(live ? false : null);
        if (!instance.active()) {
            reason = "inactive in the config";
            healthy = false;
        } else if (host.isEmpty() && live) {
            reason = "not known to Envoy (host name does not resolve, or the config is still being applied)";
        } else if (host.isPresent() && host.get().awaitingFirstCheck()) {
            reason = "new, waiting for its first health check";
        } else if (host.isPresent() && host.get().failedActiveHealthCheck()) {
            reason = "failed active health check";
        } else if (host.isPresent() && host.get().ejected()) {
            reason = "ejected after failed requests";
        }
        return new ServiceReport.InstanceReport(
                instance.model(),
                instance.baseUrl(),
                instance.upstreamPath(),
                instance.weight(),
                instance.active() ? "active" : "inactive",
                healthy,
                reason,
                host.map(HostStatus::requestsActive).orElse(0L),
                host.map(HostStatus::requestsTotal).orElse(0L),
                host.map(HostStatus::requestsFailed).orElse(0L),
                host.map(HostStatus::connectFailures).orElse(0L),
                load);
    }

    private static String describe(HealthCheck check) {
        if (check.type() == HealthCheck.Type.NONE) {
            return "none";
        }
        return check.type().name().toLowerCase()
                + check.path().map(p -> " " + p).orElse("") + " every "
                + check.interval().toMillis() + " ms";
    }

    /** A report on the live Envoy whose admin interface this gives, if any. */
    public static StatusReport live(
            Supplier<RouterIr> inForce,
            Supplier<Optional<EnvoyAdmin>> admin,
            ConfigStatus configStatus,
            EnvoyFleet fleet,
            Supplier<BudgetLedger.Books> books) {
        return new StatusReport(inForce, () -> admin.get().flatMap(StatusReport::hosts), configStatus, fleet, books);
    }

    /** Envoy's view of every endpoint, or empty when it cannot be read (Envoy elsewhere or down). */
    private static Optional<List<HostStatus>> hosts(EnvoyAdmin envoy) {
        try {
            return Optional.of(envoy.hostStatuses());
        } catch (IOException e) {
            LOG.debug("Envoy admin unreadable: {}", e.getMessage());
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }
}
