package org.jairouter.app;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.jairouter.config.ApiKey;
import org.jairouter.config.ApiKeys;
import org.jairouter.config.CircuitBreaker;
import org.jairouter.config.ConfigChain;
import org.jairouter.config.Instance;
import org.jairouter.config.LoadedConfig;
import org.jairouter.config.RateLimit;
import org.jairouter.config.RouterConfig;
import org.jairouter.config.ServiceConfig;
import org.jairouter.config.ServiceType;

/**
 * What {@code validate --explain} prints: what the router made of a config, JAiRouter's multi-file
 * trees above all, so a migration can be seen at a glance. Files in the order they override each other,
 * the profiles, every service with its policies, models and instances, the client keys by id (never a
 * key's value, nor an instance's headers), and the warnings.
 */
final class Explanation {
    private Explanation() {}

    static void print(PrintWriter out, ConfigChain.Snapshot files, LoadedConfig loaded) {
        RouterConfig config = loaded.config();
        out.println("files read, each overriding the ones before it:");
        files.files().forEach(file -> out.println("  " + file));
        List<String> profiles = files.profiles();
        out.println("profiles: " + (profiles.isEmpty() ? "none (one file)" : String.join(", ", profiles)));
        out.println("listener: " + config.listener().address() + ":"
                + config.listener().port());
        config.services().values().forEach(service -> printService(out, service));
        printKeys(out, config.apiKeys());
        out.println("metrics: " + (config.monitoring().enabled() ? "on" : "off")
                + config.monitoring()
                        .accessLogPath()
                        .map(p -> "; access log " + p)
                        .orElse(""));
        out.println("warnings: " + loaded.warnings().size());
        loaded.warnings().forEach(w -> out.println("  " + w));
    }

    private static void printService(PrintWriter out, ServiceConfig service) {
        out.println("service " + service.type().key() + ": "
                + service.loadBalancing().policy().key()
                + ", " + rateLimit(service.rateLimit()) + ", " + circuitBreaker(service.circuitBreaker())
                + ", retry " + service.retry().attempts() + " attempt(s)"
                + ", health check " + service.healthCheck().type().name().toLowerCase(Locale.ROOT));
        Map<String, List<Instance>> byModel = service.instances().stream()
                .collect(Collectors.groupingBy(Instance::model, LinkedHashMap::new, Collectors.toList()));
        byModel.forEach((model, instances) -> {
            out.println("  model " + model + ": " + instances.size() + " instance(s)"
                    + service.fallbackModels().getOrDefault(model, List.of()).stream()
                            .map(f -> ", falls back to " + f)
                            .collect(Collectors.joining()));
            instances.forEach(instance -> out.println("    " + instance.baseUrl() + " path " + instance.upstreamPath()
                    + " weight " + instance.weight() + " adapter "
                    + instance.adapter().key()
                    + (instance.active() ? "" : " (inactive)")
                    + (instance.headers().isEmpty()
                            ? ""
                            : " headers " + String.join(", ", instance.headers().keySet()))));
        });
    }

    private static String rateLimit(RateLimit limit) {
        return limit.enabled()
                ? "rate-limit " + limit.algorithm().key() + " " + limit.capacity() + "/" + limit.rate() + " per "
                        + limit.scope().key()
                : "no rate-limit";
    }

    private static String circuitBreaker(CircuitBreaker breaker) {
        return breaker.enabled()
                ? "circuit-breaker after " + breaker.failureThreshold() + " failure(s), " + breaker.timeoutMillis()
                        + " ms open"
                : "no circuit-breaker";
    }

    private static void printKeys(PrintWriter out, ApiKeys keys) {
        out.println("client keys: " + keys.keys().size() + (keys.enforced() ? ", enforced" : ", not enforced")
                + " (header " + keys.headerName() + ")");
        for (ApiKey key : keys.keys()) {
            boolean everyService = key.services().containsAll(ServiceType.builtIn());
            out.println("  " + key.id() + ": "
                    + (everyService
                            ? "every service"
                            : key.services().stream().map(ServiceType::key).collect(Collectors.joining(", ")))
                    + (key.models().isEmpty() ? "" : "; models " + String.join(", ", key.models()))
                    + (key.enabled() ? "" : "; disabled")
                    + key.expiresAt().map(at -> "; expires " + at).orElse(""));
        }
    }
}
