package org.jairouter.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/** One item of {@code jairouter.security.api-key.keys}. */
final class ApiKeyReader {
    private static final Set<String> KEYS = Set.of(
            "key-id",
            "key-value",
            "permissions",
            "expires-at",
            "enabled",
            "allowed-ip-addresses",
            "rate-limit-per-minute",
            "daily-request-limit",
            "daily-token-limit",
            "models",
            "priority");
    /** JAiRouter keys that describe a key but change nothing at the door. */
    private static final Set<String> IGNORED_KEYS = Set.of(
            "description",
            "created-at",
            "created-by",
            "creator-ip-address",
            "rotation-period-days",
            "last-rotated-at",
            "metadata",
            "usage",
            "key-hash",
            "key-prefix",
            "quota-alert-threshold");
    /** JAiRouter's legacy permissions, each of which means every service. */
    private static final Set<String> ALL_SERVICES = Set.of("read", "write", "admin");
    /** Ids are Envoy client names, header values and metric labels. */
    private static final String ID_PATTERN = "[A-Za-z0-9][A-Za-z0-9._@-]{0,63}";

    static final int MIN_VALUE_LENGTH = 16;

    private ApiKeyReader() {}

    /** @param known every service the config has: the built-in ones, and its custom ones by their keys */
    static Optional<ApiKey> read(YamlSection item, Instant now, List<ServiceType> known) {
        Map<String, YamlSection> entries = item.entries(KEYS, IGNORED_KEYS);
        Optional<String> id = item.required(entries, "key-id").flatMap(ApiKeyReader::id);
        Optional<Secret> value = item.required(entries, "key-value").flatMap(ApiKeyReader::value);
        Set<ServiceType> services = Optional.ofNullable(entries.get("permissions"))
                .map(list -> permissions(list, known))
                .orElse(Set.copyOf(known));
        Set<String> models = new LinkedHashSet<>();
        Optional.ofNullable(entries.get("models"))
                .ifPresent(list -> list.items().forEach(m -> m.text().ifPresent(models::add)));
        Optional<Instant> expiresAt =
                Optional.ofNullable(entries.get("expires-at")).flatMap(ApiKeyReader::instant);
        expiresAt
                .filter(at -> !now.isBefore(at))
                .ifPresent(at -> entries.get("expires-at").warn("this key expired at " + at + "; it is refused"));
        boolean enabled = Optional.ofNullable(entries.get("enabled"))
                .flatMap(YamlSection::bool)
                .orElse(true);
        List<String> addresses = new ArrayList<>();
        Optional.ofNullable(entries.get("allowed-ip-addresses"))
                .ifPresent(list -> list.items().forEach(a -> address(a).ifPresent(addresses::add)));
        int perMinute = number(entries, "rate-limit-per-minute", 1_000_000).intValue();
        long dailyRequests = number(entries, "daily-request-limit", Integer.MAX_VALUE);
        long dailyTokens = number(entries, "daily-token-limit", Long.MAX_VALUE / 2);
        boolean lowPriority = Optional.ofNullable(entries.get("priority"))
                .flatMap(ApiKeyReader::lowPriority)
                .orElse(false);
        if (id.isEmpty() || value.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new ApiKey(
                id.get(),
                value.get(),
                services,
                models,
                expiresAt,
                enabled,
                addresses,
                perMinute,
                dailyRequests,
                dailyTokens,
                lowPriority));
    }

    private static Optional<String> id(YamlSection id) {
        return id.text().filter(text -> {
            if (text.matches(ID_PATTERN)) {
                return true;
            }
            id.error("expected an id of up to 64 letters, digits and . _ @ -, got '" + text + "'");
            return false;
        });
    }

    /** {@code low} (batch work) or {@code normal} (interactive, the default): true for low. */
    private static Optional<Boolean> lowPriority(YamlSection priority) {
        return priority.text().flatMap(text -> switch (text) {
            case "low" -> Optional.of(true);
            case "normal" -> Optional.of(false);
            default -> {
                priority.error(
                        "expected low (batch work, refused first when a model is full) or normal, got '" + text + "'");
                yield Optional.empty();
            }
        });
    }

    private static Optional<Secret> value(YamlSection value) {
        return value.secretText()
                .filter(text -> {
                    if (text.length() >= MIN_VALUE_LENGTH) {
                        return true;
                    }
                    value.error("a key value needs at least " + MIN_VALUE_LENGTH + " characters, got " + text.length());
                    return false;
                })
                .map(Secret::new);
    }

    private static Set<ServiceType> permissions(YamlSection list, List<ServiceType> known) {
        Set<ServiceType> services = new HashSet<>();
        // A list, or JAiRouter's comma-separated text ("read,write").
        for (TextList.Entry entry : TextList.of(list)) {
            String permission = entry.text();
            if (ALL_SERVICES.contains(permission)) {
                services.addAll(known);
            } else if (ServiceType.fromKey(permission).isPresent()) {
                services.add(ServiceType.fromKey(permission).get());
            } else if (custom(permission, known).isPresent()) {
                services.add(custom(permission, known).get());
            } else {
                String customKeys = known.stream()
                        .filter(ServiceType::isCustom)
                        .map(type -> ", " + type.key())
                        .collect(Collectors.joining());
                entry.at()
                        .error("unknown permission '" + permission
                                + "'; expected one of chat, embedding, rerank, tts, stt,"
                                + " imgGen, imgEdit" + customKeys + ", or read, write, admin (all services)");
            }
        }
        return services;
    }

    /** The config's custom service of this key: its permission is its key. */
    private static Optional<ServiceType> custom(String permission, List<ServiceType> known) {
        return known.stream()
                .filter(type -> type.isCustom() && type.key().equals(permission))
                .findFirst();
    }

    /** An instant; a date and time without offset is UTC (JAiRouter writes them so). */
    private static Optional<Instant> instant(YamlSection at) {
        return at.text().flatMap(text -> {
            try {
                return Optional.of(OffsetDateTime.parse(text).toInstant());
            } catch (DateTimeParseException withoutOffset) {
                try {
                    return Optional.of(
                            LocalDateTime.parse(text.replace(' ', 'T')).toInstant(ZoneOffset.UTC));
                } catch (DateTimeParseException e) {
                    at.error("expected a date and time such as 2026-12-31T23:59:59 (UTC) or"
                            + " 2026-12-31T23:59:59+01:00, got '" + text + "'");
                    return Optional.empty();
                }
            }
        });
    }

    /** An IP address or CIDR range, as Envoy's RBAC takes it. */
    private static Optional<String> address(YamlSection item) {
        return item.text().filter(text -> {
            String[] parts = text.split("/", -1);
            boolean ipv6 = parts[0].contains(":");
            boolean valid = parts.length <= 2
                    && parts[0].matches("[0-9.]+|[0-9a-fA-F:]+")
                    && literal(parts[0])
                    && (parts.length == 1
                            || parts[1].matches("\\d{1,3}") && Integer.parseInt(parts[1]) <= (ipv6 ? 128 : 32));
            if (!valid) {
                item.error("expected an IP address or CIDR range such as 10.0.0.0/8, got '" + text + "'");
            }
            return valid;
        });
    }

    private static boolean literal(String address) {
        try {
            // Only digits, dots and colons reach here: no name lookup happens.
            InetAddress.getByName(address);
            return !address.isEmpty();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static Long number(Map<String, YamlSection> entries, String key, long max) {
        YamlSection value = entries.get(key);
        return value == null ? 0L : value.longInteger(0, max).orElse(0L);
    }
}
