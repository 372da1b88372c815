package org.jairouter.config;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code jairouter}: JAiRouter's own section. Of it this router honours {@code security.enabled} and
 * {@code security.api-key} ({@code enabled}, {@code header-name}, {@code keys}); JWT login, audit,
 * sanitization and the key cache are warned about and ignored, as is anything else under {@code jairouter}.
 */
final class JaiRouterReader implements SectionReader<ApiKeys> {
    /** Every service key permissions may name: the built-in ones and the config's custom ones. */
    private final List<ServiceType> services;

    private static final Set<String> SECURITY_KEYS = Set.of("enabled", "api-key");
    /** JAiRouter's own security machinery (its login, audit trail, key quotas and tuning): nothing at Envoy's door. */
    private static final Set<String> SECURITY_IGNORED =
            Set.of("jwt", "audit", "sanitization", "cache", "quota", "monitoring", "performance");

    private static final Set<String> API_KEY_KEYS = Set.of("enabled", "header-name", "keys");
    /** Key-store settings of JAiRouter: keys here live in the file and Envoy's config, with no cache to tune. */
    private static final Set<String> API_KEY_IGNORED =
            Set.of("default-expiration-days", "cache-expiration-seconds", "cache-enabled");

    JaiRouterReader(List<ServiceType> services) {
        this.services = List.copyOf(services);
    }

    @Override
    public String key() {
        return "jairouter";
    }

    @Override
    public ApiKeys absent(YamlSection root) {
        return ApiKeys.NONE;
    }

    @Override
    public ApiKeys read(YamlSection jairouter) {
        Map<String, YamlSection> entries = jairouter.entries();
        entries.forEach((name, value) -> {
            if (!name.equals("security")) {
                value.warn("not used by this router; ignored (of jairouter it reads security.enabled and"
                        + " security.api-key)");
            }
        });
        YamlSection security = entries.get("security");
        return security == null ? ApiKeys.NONE : security(security);
    }

    private ApiKeys security(YamlSection security) {
        Map<String, YamlSection> entries = security.entries(SECURITY_KEYS, SECURITY_IGNORED);
        // JAiRouter's defaults: security off, and the api-key part on once security is.
        boolean securityOn = Optional.ofNullable(entries.get("enabled"))
                .flatMap(YamlSection::bool)
                .orElse(false);
        YamlSection apiKey = entries.get("api-key");
        if (apiKey == null) {
            return ApiKeys.NONE;
        }
        Map<String, YamlSection> keyEntries = apiKey.entries(API_KEY_KEYS, API_KEY_IGNORED);
        boolean keysOn = Optional.ofNullable(keyEntries.get("enabled"))
                .flatMap(YamlSection::bool)
                .orElse(true);
        String header = Optional.ofNullable(keyEntries.get("header-name"))
                .flatMap(JaiRouterReader::headerName)
                .orElse(ApiKeys.DEFAULT_HEADER);
        List<ApiKey> keys =
                Optional.ofNullable(keyEntries.get("keys")).map(this::keys).orElse(List.of());
        if (keysOn && !securityOn) {
            security.warn("api-key is set up but jairouter.security.enabled is not true: keys are not enforced,"
                    + " as in JAiRouter");
        }
        if (keysOn && securityOn && keys.isEmpty()) {
            apiKey.warn("keys are enforced but none is listed, so every request is refused; JAiRouter may keep"
                    + " keys in its own store (file, H2, Redis), which this router does not read: list them under"
                    + " jairouter.security.api-key.keys");
        }
        return new ApiKeys(keysOn && securityOn, header, keys, Set.of());
    }

    private static Optional<String> headerName(YamlSection header) {
        return header.text().filter(name -> {
            if (name.matches("[A-Za-z0-9-]{1,100}") && !name.equalsIgnoreCase("authorization")) {
                return true;
            }
            header.error("expected a header name of letters, digits and -, other than Authorization (always"
                    + " read), got '" + name + "'");
            return false;
        });
    }

    private List<ApiKey> keys(YamlSection list) {
        List<ApiKey> keys = new ArrayList<>();
        Map<String, String> idByValue = new HashMap<>();
        Instant now = Instant.now();
        for (YamlSection item : list.items()) {
            ApiKeyReader.read(item, now, services).ifPresent(key -> {
                String sameValue = idByValue.putIfAbsent(key.value().value(), key.id());
                if (keys.stream().anyMatch(k -> k.id().equals(key.id()))) {
                    item.error("duplicate key-id '" + key.id() + "'");
                } else if (sameValue != null) {
                    item.error("key '" + key.id() + "' has the same key-value as key '" + sameValue + "'");
                } else {
                    keys.add(key);
                }
            });
        }
        return keys;
    }
}
