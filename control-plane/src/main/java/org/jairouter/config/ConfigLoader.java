package org.jairouter.config;

import java.io.IOException;
import java.io.StringReader;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Node;

/**
 * Reads JAiRouter's {@code application.yml} format into a validated {@link RouterConfig}. Pure apart
 * from reading the file: the same text always gives the same config or the same problems.
 */
public final class ConfigLoader {
    private static final Set<String> ROOT_KEYS = Set.of("model", "server", "monitoring");
    private static final Set<String> SERVER_KEYS = Set.of("port", "address", "max-request-size", "trusted-proxy-hops");
    private static final Set<String> MODEL_KEYS = Set.of("services", "load-balance", "health-check", "retry", "tls",
            "adapter");
    private static final Set<String> LOAD_BALANCE_KEYS = Set.of("type", "hash-algorithm");
    private static final Set<String> SERVICE_KEYS = Set.of("load-balance", "instances", "health-check", "retry",
            "adapter");
    private static final Set<String> HEALTH_CHECK_KEYS = Set.of("type", "path", "interval", "timeout",
            "unhealthy-threshold", "healthy-threshold");
    private static final Set<String> RETRY_KEYS = Set.of("attempts", "on-server-error");
    private static final Set<String> INSTANCE_KEYS = Set.of("name", "base-url", "path", "weight", "status", "headers",
            "api-key", "adapter");
    /** JAiRouter keys that are valid but not acted on yet: accepted with a warning. */
    private static final Set<String> IGNORED_INSTANCE_KEYS = Set.of("health-check",
            "instance-id", "rate-limit", "circuit-breaker");
    private static final Set<String> IGNORED_SERVICE_KEYS = Set.of("rate-limit", "circuit-breaker", "fallback");
    private static final Set<String> IGNORED_MODEL_KEYS = Set.of("rate-limit", "circuit-breaker", "fallback",
            "adapter-definitions", "pools", "rules");
    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})\\s*(ms|s|m)");
    private static final Pattern SIZE = Pattern.compile("(\\d{1,10})\\s*([KMG]?)(I?B)?", Pattern.CASE_INSENSITIVE);
    private static final int MAX_WEIGHT = 1_000_000;

    private ConfigLoader() {
    }

    public static LoadedConfig load(Path file) throws ConfigException {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new ConfigException(List.of(new ConfigProblem(file.toString(), 0, "", "cannot read file: " + e)));
        }
        return parse(text, file.toString());
    }

    public static LoadedConfig parse(String text, String source) throws ConfigException {
        return parse(text, source, System.getenv());
    }

    /** Parses with the given environment for ${NAME} placeholders. */
    public static LoadedConfig parse(String text, String source, Map<String, String> environment) throws ConfigException {
        YamlSection.Problems problems = new YamlSection.Problems(source, environment);
        Node root;
        try {
            root = new Yaml(new LoaderOptions()).compose(new StringReader(text));
        } catch (MarkedYAMLException e) {
            int line = e.getProblemMark() == null ? 0 : e.getProblemMark().getLine() + 1;
            throw new ConfigException(List.of(new ConfigProblem(source, line, "", "invalid YAML: " + e.getProblem())));
        } catch (YAMLException e) {
            throw new ConfigException(List.of(new ConfigProblem(source, 0, "", "invalid YAML: " + e.getMessage())));
        }
        if (root == null) {
            throw new ConfigException(List.of(new ConfigProblem(source, 1, "model", "the file is empty; expected model.services")));
        }
        RouterConfig config = readRoot(new YamlSection(root, "", problems));
        if (!problems.errors.isEmpty()) {
            throw new ConfigException(problems.errors);
        }
        return new LoadedConfig(config, problems.warnings);
    }

    private static RouterConfig readRoot(YamlSection root) {
        Map<String, YamlSection> entries = root.entries();
        // Other top-level keys belong to other tools (spring, logging...) that share the file.
        entries.keySet().stream().filter(k -> !ROOT_KEYS.contains(k))
                .forEach(k -> entries.get(k).warn("not used by JAiRouter; ignored"));
        ListenerSettings listener = Optional.ofNullable(entries.get("server"))
                .map(ConfigLoader::readServer)
                .orElse(ListenerSettings.DEFAULT);
        YamlSection model = entries.get("model");
        if (model == null) {
            root.error("missing key 'model'; expected model.services with at least one service");
            return new RouterConfig(listener, Map.of(), RouterConfig.DEFAULT_CA_FILE);
        }
        return readModel(model, listener).withMonitoring(MonitoringReader.read(entries.get("monitoring")));
    }

    private static ListenerSettings readServer(YamlSection server) {
        Map<String, YamlSection> entries = server.entries(SERVER_KEYS, Set.of());
        // Port 0 binds any free port (tests); the router logs the one it got.
        int port = Optional.ofNullable(entries.get("port")).flatMap(p -> p.integer(0, 65535))
                .orElse(ListenerSettings.DEFAULT_PORT);
        String address = Optional.ofNullable(entries.get("address")).flatMap(YamlSection::text)
                .orElse(ListenerSettings.DEFAULT_ADDRESS);
        long maxRequestBytes = Optional.ofNullable(entries.get("max-request-size")).flatMap(ConfigLoader::readSize)
                .orElse(ListenerSettings.DEFAULT_MAX_REQUEST_BYTES);
        int trustedProxyHops = Optional.ofNullable(entries.get("trusted-proxy-hops")).flatMap(h -> h.integer(0, 10))
                .orElse(0);
        return new ListenerSettings(address, port, maxRequestBytes, trustedProxyHops);
    }

    /** A size as Spring writes it: 1048576, 512KB, 32MB, 1GB (binary units, as Spring's DataSize). */
    private static Optional<Long> readSize(YamlSection size) {
        return size.text().flatMap(text -> {
            Matcher m = SIZE.matcher(text);
            if (m.matches()) {
                int shift = switch (m.group(2).toUpperCase(Locale.ROOT)) {
                    case "K" -> 10;
                    case "M" -> 20;
                    case "G" -> 30;
                    default -> 0;
                };
                // At most 10 digits: parses without overflow; the bound is checked before shifting.
                long number = Long.parseLong(m.group(1));
                // Envoy's buffer limit is a uint32.
                if (number <= 0xFFFF_FFFFL >> shift && number << shift >= 1024) {
                    return Optional.of(number << shift);
                }
            }
            size.error("expected a size from 1KB to 4GB such as 32MB, got '" + text + "'");
            return Optional.empty();
        });
    }

    private static RouterConfig readModel(YamlSection model, ListenerSettings listener) {
        Map<String, YamlSection> entries = model.entries(MODEL_KEYS, IGNORED_MODEL_KEYS);
        String caFile = Optional.ofNullable(entries.get("tls")).flatMap(ConfigLoader::readCaFile)
                .orElse(RouterConfig.DEFAULT_CA_FILE);
        return new RouterConfig(listener, readServices(model, entries), caFile);
    }

    private static Map<ServiceType, ServiceConfig> readServices(YamlSection model, Map<String, YamlSection> entries) {
        LoadBalancing modelDefault = Optional.ofNullable(entries.get("load-balance"))
                .map(lb -> readLoadBalancing(lb, LoadBalancing.DEFAULT)).orElse(LoadBalancing.DEFAULT);
        YamlSection services = entries.get("services");
        if (services == null) {
            model.error("missing key 'services'; expected at least one of " + String.join(", ", ServiceType.keys()));
            return Map.of();
        }
        Map<String, YamlSection> serviceEntries = services.entries();
        // JAiRouter's README puts the global default beside the services; later versions under model.
        // Service keys have their own aliases (imgGen); only this one key is spelt two ways here.
        YamlSection servicesLoadBalance = serviceEntries.remove("load-balance");
        YamlSection camelCaseLoadBalance = serviceEntries.remove("loadBalance");
        LoadBalancing loadBalancing = Optional.ofNullable(servicesLoadBalance).or(() -> Optional.ofNullable(camelCaseLoadBalance))
                .map(lb -> readLoadBalancing(lb, modelDefault)).orElse(modelDefault);
        ServiceDefaults globalDefault = new ServiceDefaults(loadBalancing,
                Optional.ofNullable(entries.get("health-check")).map(h -> readHealthCheck(h, HealthCheck.DEFAULT))
                        .orElse(HealthCheck.DEFAULT),
                Optional.ofNullable(entries.get("retry")).map(r -> readRetry(r, RetryPolicy.DEFAULT))
                        .orElse(RetryPolicy.DEFAULT),
                Optional.ofNullable(entries.get("adapter")).flatMap(ConfigLoader::readAdapter).orElse(Adapter.NORMAL));
        Map<ServiceType, ServiceConfig> configs = new EnumMap<>(ServiceType.class);
        serviceEntries.forEach((key, section) -> {
            Optional<ServiceType> type = ServiceType.fromKey(key);
            if (type.isEmpty()) {
                Set<String> known = new HashSet<>(ServiceType.keys());
                known.add("load-balance");
                section.error("unknown service" + YamlSection.closest(key, known).map(k -> "; did you mean '" + k + "'?")
                        .orElse("; expected one of " + String.join(", ", ServiceType.keys())));
            } else if (configs.containsKey(type.get())) {
                section.error("service '" + type.get().key() + "' is configured twice (under two of its names)");
            } else {
                configs.put(type.get(), readService(type.get(), section, globalDefault));
            }
        });
        if (serviceEntries.isEmpty()) {
            services.error("no services configured; expected at least one of " + String.join(", ", ServiceType.keys()));
        }
        return configs;
    }

    /** The model-wide settings a service inherits unless it sets its own. */
    private record ServiceDefaults(LoadBalancing loadBalancing, HealthCheck healthCheck, RetryPolicy retry,
                                   Adapter adapter) {
    }

    private static ServiceConfig readService(ServiceType type, YamlSection service, ServiceDefaults defaults) {
        Map<String, YamlSection> entries = service.entries(SERVICE_KEYS, IGNORED_SERVICE_KEYS);
        LoadBalancing loadBalancing = Optional.ofNullable(entries.get("load-balance"))
                .map(lb -> readLoadBalancing(lb, defaults.loadBalancing())).orElse(defaults.loadBalancing());
        HealthCheck healthCheck = Optional.ofNullable(entries.get("health-check"))
                .map(h -> readHealthCheck(h, defaults.healthCheck())).orElse(defaults.healthCheck());
        RetryPolicy retry = Optional.ofNullable(entries.get("retry"))
                .map(r -> readRetry(r, defaults.retry())).orElse(defaults.retry());
        Adapter adapter = Optional.ofNullable(entries.get("adapter")).flatMap(ConfigLoader::readAdapter)
                .orElse(defaults.adapter());
        List<Instance> instances = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (YamlSection item : Optional.ofNullable(entries.get("instances")).map(YamlSection::items).orElse(List.of())) {
            readInstance(type, item, adapter).ifPresent(instance -> {
                // By endpoint, not by base-url text: http://h, http://h:80 and http://h/ are one backend.
                if (!seen.add(instance.model() + " " + instance.authority() + " " + instance.upstreamPath())) {
                    item.error("duplicate instance: model '" + instance.model() + "' at " + instance.baseUrl()
                            + instance.upstreamPath() + " is listed twice");
                } else {
                    instances.add(instance);
                }
            });
        }
        return new ServiceConfig(type, loadBalancing, healthCheck, retry, instances);
    }

    /** A health-check section; each key it leaves out keeps the inherited value. */
    private static HealthCheck readHealthCheck(YamlSection section, HealthCheck inherited) {
        Map<String, YamlSection> entries = section.entries(HEALTH_CHECK_KEYS, Set.of());
        HealthCheck.Type type = Optional.ofNullable(entries.get("type")).flatMap(t -> t.text().flatMap(name -> {
            try {
                return Optional.of(HealthCheck.Type.valueOf(name.toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException unknown) {
                t.error("unknown health-check type '" + name + "'; expected one of auto, http, tcp, none");
                return Optional.empty();
            }
        })).orElse(inherited.type());
        Optional<String> path = Optional.ofNullable(entries.get("path")).map(ConfigLoader::readPath)
                .orElse(inherited.path());
        Duration interval = Optional.ofNullable(entries.get("interval")).flatMap(ConfigLoader::readDuration)
                .orElse(inherited.interval());
        Duration timeout = Optional.ofNullable(entries.get("timeout")).flatMap(ConfigLoader::readDuration)
                .orElse(inherited.timeout());
        int unhealthy = Optional.ofNullable(entries.get("unhealthy-threshold")).flatMap(n -> n.integer(1, 100))
                .orElse(inherited.unhealthyThreshold());
        int healthy = Optional.ofNullable(entries.get("healthy-threshold")).flatMap(n -> n.integer(1, 100))
                .orElse(inherited.healthyThreshold());
        return new HealthCheck(type, path, interval, timeout, unhealthy, healthy);
    }

    private static RetryPolicy readRetry(YamlSection section, RetryPolicy inherited) {
        Map<String, YamlSection> entries = section.entries(RETRY_KEYS, Set.of());
        int attempts = Optional.ofNullable(entries.get("attempts")).flatMap(n -> n.integer(0, 10))
                .orElse(inherited.attempts());
        boolean onServerError = Optional.ofNullable(entries.get("on-server-error")).flatMap(YamlSection::bool)
                .orElse(inherited.onServerError());
        return new RetryPolicy(attempts, onServerError);
    }

    private static Optional<String> readCaFile(YamlSection tls) {
        return Optional.ofNullable(tls.entries(Set.of("ca-file"), Set.of()).get("ca-file")).flatMap(YamlSection::text);
    }

    /** A duration as 500ms, 5s or 2m. */
    private static Optional<Duration> readDuration(YamlSection section) {
        return section.text().flatMap(text -> {
            Matcher m = DURATION.matcher(text);
            if (m.matches()) {
                long amount = Long.parseLong(m.group(1));
                Duration duration = switch (m.group(2)) {
                    case "ms" -> Duration.ofMillis(amount);
                    case "s" -> Duration.ofSeconds(amount);
                    default -> Duration.ofMinutes(amount);
                };
                if (!duration.isZero()) {
                    return Optional.of(duration);
                }
            }
            section.error("expected a duration such as 500ms, 5s or 2m, got '" + text + "'");
            return Optional.empty();
        });
    }

    private static LoadBalancing readLoadBalancing(YamlSection section, LoadBalancing inherited) {
        Map<String, YamlSection> entries = section.entries(LOAD_BALANCE_KEYS, Set.of());
        LoadBalancePolicy policy = Optional.ofNullable(entries.get("type")).flatMap(type -> type.text().flatMap(name -> {
            Optional<LoadBalancePolicy> known = LoadBalancePolicy.fromKey(name.toLowerCase(Locale.ROOT));
            if (known.isEmpty()) {
                type.error("unknown load-balance type '" + name + "'; expected one of "
                        + String.join(", ", LoadBalancePolicy.keys()));
            }
            return known;
        })).orElse(inherited.policy());
        String hashAlgorithm = Optional.ofNullable(entries.get("hash-algorithm")).flatMap(YamlSection::text)
                .orElse(inherited.hashAlgorithm());
        return new LoadBalancing(policy, hashAlgorithm);
    }

    /** An instance, or empty when it has errors. */
    private static Optional<Adapter> readAdapter(YamlSection section) {
        return section.text().flatMap(name -> {
            Optional<Adapter> adapter = Adapter.fromKey(name);
            if (adapter.isEmpty()) {
                section.error("unknown adapter '" + name + "'; expected one of " + String.join(", ", Adapter.keys()));
            }
            return adapter;
        });
    }

    private static Optional<Instance> readInstance(ServiceType type, YamlSection item, Adapter serviceAdapter) {
        Map<String, YamlSection> entries = item.entries(INSTANCE_KEYS, IGNORED_INSTANCE_KEYS);
        // Not a mapping: entries() said so. An empty item, or one of ignored keys only, still lacks name and base-url.
        if (!item.isMapping() && !item.isNull()) {
            return Optional.empty();
        }
        Optional<String> name = required(item, entries, "name").flatMap(YamlSection::text);
        Optional<URI> baseUrl = required(item, entries, "base-url").flatMap(ConfigLoader::readBaseUrl);
        Adapter adapter = Optional.ofNullable(entries.get("adapter")).flatMap(ConfigLoader::readAdapter)
                .orElse(serviceAdapter);
        Optional<String> path = Optional.ofNullable(entries.get("path")).map(ConfigLoader::readPath)
                .orElseGet(() -> defaultPath(item, type, adapter));
        Optional<Integer> weight = Optional.ofNullable(entries.get("weight")).map(w -> w.integer(1, MAX_WEIGHT))
                .orElse(Optional.of(1));
        Optional<Boolean> active = Optional.ofNullable(entries.get("status")).map(ConfigLoader::readActive)
                .orElse(Optional.of(true));
        Optional<Map<String, Secret>> headers = readHeaders(entries.get("headers"), entries.get("api-key"));
        if (name.isEmpty() || baseUrl.isEmpty() || path.isEmpty() || weight.isEmpty() || active.isEmpty()
                || headers.isEmpty()) {
            return Optional.empty();
        }
        URI url = baseUrl.get();
        boolean tls = url.getScheme().equalsIgnoreCase("https");
        String prefix = url.getRawPath() == null ? "" : url.getRawPath().replaceAll("/+$", "");
        int port = url.getPort() != -1 ? url.getPort() : tls ? 443 : 80;
        return Optional.of(new Instance(name.get(), url.getHost(), port, prefix + path.get(), weight.get(),
                url.toString(), active.get(), headers.get(), tls, adapter));
    }

    /** The adapter's path for the service; an error when the backend has none and no path is given. */
    private static Optional<String> defaultPath(YamlSection item, ServiceType type, Adapter adapter) {
        Optional<String> path = adapter.path(type);
        if (path.isEmpty()) {
            item.error(adapter.key() + " has no " + type.key() + " endpoint that JAiRouter knows; give its 'path'");
        }
        return path;
    }

    /**
     * The instance's own headers; {@code api-key} is shorthand for {@code Authorization: Bearer <key>},
     * the style every supported backend accepts. Values are kept as secrets and never echoed.
     */
    private static Optional<Map<String, Secret>> readHeaders(YamlSection headers, YamlSection apiKey) {
        Map<String, Secret> result = new TreeMap<>();
        boolean valid = true;
        if (headers != null) {
            for (Map.Entry<String, YamlSection> header : headers.entries().entrySet()) {
                String name = header.getKey().toLowerCase(Locale.ROOT);
                if (!name.matches("[a-z0-9!#$%&'*+.^_`|~-]+") || name.equals("host") || name.equals("content-length")) {
                    header.getValue().error("expected a header name that may be set per instance, got '"
                            + header.getKey() + "'");
                    valid = false;
                    continue;
                }
                Optional<String> value = header.getValue().secretText();
                valid &= value.isPresent();
                value.ifPresent(v -> result.put(name, new Secret(v)));
            }
        }
        if (apiKey != null) {
            if (result.containsKey("authorization")) {
                apiKey.error("give either api-key or an Authorization header, not both");
                return Optional.empty();
            }
            Optional<String> key = apiKey.secretText();
            valid &= key.isPresent();
            key.ifPresent(k -> result.put("authorization", new Secret("Bearer " + k)));
        }
        return valid ? Optional.of(result) : Optional.empty();
    }

    private static Optional<YamlSection> required(YamlSection parent, Map<String, YamlSection> entries, String key) {
        YamlSection section = entries.get(key);
        if (section == null) {
            parent.error("missing key '" + key + "'");
        }
        return Optional.ofNullable(section);
    }

    private static Optional<URI> readBaseUrl(YamlSection section) {
        return section.text().flatMap(text -> {
            try {
                URI uri = new URI(text);
                if (!"http".equalsIgnoreCase(uri.getScheme()) && !"https".equalsIgnoreCase(uri.getScheme())) {
                    section.error("expected an http:// or https:// URL such as http://10.0.0.5:8000, got '" + text + "'");
                } else if (uri.getHost() == null) {
                    section.error("expected a URL with a host, such as http://10.0.0.5:8000, got '" + text + "'");
                } else if (uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
                    section.error("expected scheme, host, port and an optional path prefix only, got '" + text + "'");
                } else {
                    return Optional.of(uri);
                }
            } catch (URISyntaxException e) {
                section.error("expected a URL such as http://10.0.0.5:8000, got '" + text + "' (" + e.getReason() + ")");
            }
            return Optional.empty();
        });
    }

    private static Optional<String> readPath(YamlSection section) {
        return section.text().flatMap(path -> {
            if (path.startsWith("/") && !path.contains("?") && !path.contains("#") && !path.contains(" ")) {
                return Optional.of(path);
            }
            section.error("expected an absolute path such as /v1/chat/completions, got '" + path + "'");
            return Optional.empty();
        });
    }

    private static Optional<Boolean> readActive(YamlSection section) {
        return section.text().flatMap(status -> switch (status.toLowerCase(Locale.ROOT)) {
            case "active" -> Optional.of(true);
            case "inactive" -> Optional.of(false);
            default -> {
                section.error("expected 'active' or 'inactive', got '" + status + "'");
                yield Optional.empty();
            }
        });
    }
}
