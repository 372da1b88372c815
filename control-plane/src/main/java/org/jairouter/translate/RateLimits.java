package org.jairouter.translate;

import com.github.xds.type.v3.TypedStruct;
import com.google.protobuf.Any;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jairouter.config.ApiKey;
import org.jairouter.config.RateLimit;
import org.jairouter.config.RouterConfig;
import org.jairouter.config.ServiceConfig;
import org.jairouter.ir.RouterIr;

/**
 * Rate limits in each Envoy, by its local_ratelimit filter: token buckets that no request waits on
 * anyone for. One filter holds every bucket; each request yields descriptors (its service, its model,
 * its client address, its key id) and is refused (429 with retry-after) when any bucket it matches is
 * empty. A key's {@code rate-limit-per-minute} is its own bucket; a service's {@code rate-limit} is one
 * bucket for the service, one per model, or one per client address or key id (made on first use, at
 * most {@link #DYNAMIC_BUCKETS} at a time, least recently used dropped).
 *
 * <p>Each Envoy counts on its own, and takes 1/n of every bucket when n Envoys are connected to the
 * control plane: {@code local_cluster_rate_limit} divides by the size of the bootstrap's local
 * cluster, whose endpoints are the fleet ({@link FleetEndpoints}). {@code retry-after} (Envoy 1.40) is
 * newer than our 1.34 protos, so the config is a TypedStruct.
 */
final class RateLimits {
    static final String FILTER = "envoy.filters.http.local_ratelimit";
    private static final String TYPE =
            "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit";
    /** Per-address and per-key buckets held at once. */
    static final int DYNAMIC_BUCKETS = 10_000;
    /** Requests that match no limit take from this bucket, which never runs dry. */
    private static final long UNLIMITED = 1_000_000_000L;

    private RateLimits() {}

    static Optional<HttpFilter> httpFilter(RouterIr ir) {
        RouterConfig config = ir.config();
        List<Value> actions = new ArrayList<>();
        List<Value> buckets = new ArrayList<>();
        if (config.apiKeys().enforced()) {
            for (ApiKey key : config.apiKeys().accepted()) {
                if (key.ratePerMinute() > 0) {
                    buckets.add(descriptor(
                            List.of(entry("key_id", key.id())),
                            bucket(key.ratePerMinute(), key.ratePerMinute(), "60s")));
                }
            }
            if (!buckets.isEmpty()) {
                actions.add(rateLimit(List.of(keyId())));
            }
        }
        for (ServiceConfig service : config.services().values()) {
            RateLimit limit = service.rateLimit();
            if (!limit.enabled()) {
                continue;
            }
            String name = service.type().key();
            Value bucket = bucket(limit.capacity(), limit.rate(), "1s");
            switch (limit.scope()) {
                case SERVICE -> {
                    actions.add(rateLimit(List.of(service(service))));
                    buckets.add(descriptor(List.of(entry("service", name)), bucket));
                }
                case MODEL -> {
                    actions.add(rateLimit(List.of(service(service), model())));
                    ir.services()
                            .get(service.type())
                            .models()
                            .keySet()
                            .forEach(model -> buckets.add(
                                    descriptor(List.of(entry("service", name), entry("model", model)), bucket)));
                }
                case CLIENT_IP -> {
                    actions.add(rateLimit(List.of(service(service), action("remote_address", Map.of()))));
                    buckets.add(descriptor(List.of(entry("service", name), entry("remote_address", "")), bucket));
                }
                case KEY -> {
                    actions.add(rateLimit(List.of(service(service), keyId())));
                    buckets.add(descriptor(List.of(entry("service", name), entry("key_id", "")), bucket));
                }
            }
        }
        if (buckets.isEmpty()) {
            return Optional.empty();
        }
        Struct limits = Struct.newBuilder()
                .putFields("stat_prefix", Protos.string("jairouter_rate_limit"))
                .putFields("token_bucket", bucket(UNLIMITED, UNLIMITED, "1s"))
                .putFields("filter_enabled", percent100())
                .putFields("filter_enforced", percent100())
                .putFields(
                        "always_consume_default_token_bucket",
                        Value.newBuilder().setBoolValue(false).build())
                .putFields(
                        "enable_retry_after_header",
                        Value.newBuilder().setBoolValue(true).build())
                .putFields("max_dynamic_descriptors", number(DYNAMIC_BUCKETS))
                .putFields("local_cluster_rate_limit", Protos.object(Map.of()))
                .putFields("rate_limits", Protos.list(actions))
                .putFields("descriptors", Protos.list(buckets))
                .build();
        return Optional.of(HttpFilter.newBuilder()
                .setName(FILTER)
                .setTypedConfig(Any.pack(TypedStruct.newBuilder()
                        .setTypeUrl(TYPE)
                        .setValue(limits)
                        .build()))
                .build());
    }

    /** The service, known from the path (the route's exact path; a query string does not hide it). */
    private static Value service(ServiceConfig service) {
        return action(
                "header_value_match",
                Map.of(
                        "descriptor_key", Protos.string("service"),
                        "descriptor_value", Protos.string(service.type().key()),
                        "headers",
                                Protos.list(List.of(Protos.object(Map.of(
                                        "name", Protos.string(":path"),
                                        "string_match",
                                                Protos.object(Map.of(
                                                        "prefix",
                                                        Protos.string(
                                                                service.type().publicPath())))))))));
    }

    private static Value model() {
        return action(
                "metadata",
                Map.of(
                        "descriptor_key", Protos.string("model"),
                        "source", Protos.string("DYNAMIC"),
                        "metadata_key",
                                Protos.object(Map.of(
                                        "key", Protos.string(Names.METADATA_NAMESPACE),
                                        "path",
                                                Protos.list(List.of(Protos.object(
                                                        Map.of("key", Protos.string(Names.MODEL_KEY)))))))));
    }

    private static Value keyId() {
        return action(
                "request_headers",
                Map.of(
                        "header_name", Protos.string(Names.KEY_ID_HEADER),
                        "descriptor_key", Protos.string("key_id")));
    }

    private static Value action(String type, Map<String, Value> fields) {
        return Protos.object(Map.of(type, Protos.object(fields)));
    }

    private static Value rateLimit(List<Value> actions) {
        return Protos.object(Map.of("actions", Protos.list(actions)));
    }

    private static Value descriptor(List<Value> entries, Value bucket) {
        return Protos.object(Map.of("entries", Protos.list(entries), "token_bucket", bucket));
    }

    private static Value entry(String key, String value) {
        return Protos.object(Map.of("key", Protos.string(key), "value", Protos.string(value)));
    }

    private static Value bucket(long capacity, long perFill, String interval) {
        return Protos.object(Map.of(
                "max_tokens",
                number(capacity),
                "tokens_per_fill",
                number(perFill),
                "fill_interval",
                Protos.string(interval)));
    }

    private static Value percent100() {
        return Protos.object(Map.of("default_value", Protos.object(Map.of("numerator", number(100)))));
    }

    private static Value number(long value) {
        return Value.newBuilder().setNumberValue(value).build();
    }
}
