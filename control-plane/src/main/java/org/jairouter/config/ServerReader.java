package org.jairouter.config;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code server}: where the router accepts traffic. */
final class ServerReader implements SectionReader<ListenerSettings> {
    private static final Set<String> KEYS =
            Set.of("port", "address", "max-request-size", "trusted-proxy-hops", "expose-status", "http2");
    private static final String HTTP2_MAX_STREAMS = "max-concurrent-streams";
    private static final Pattern SIZE = Pattern.compile("(\\d{1,10})\\s*([KMG]?)(I?B)?", Pattern.CASE_INSENSITIVE);

    @Override
    public String key() {
        return "server";
    }

    @Override
    public ListenerSettings absent(YamlSection root) {
        return ListenerSettings.DEFAULT;
    }

    @Override
    public ListenerSettings read(YamlSection server) {
        Map<String, YamlSection> entries = server.entries(KEYS, Set.of());
        // Port 0 binds any free port (tests); the router logs the one it got.
        int port = Optional.ofNullable(entries.get("port"))
                .flatMap(p -> p.integer(0, 65535))
                .orElse(ListenerSettings.DEFAULT_PORT);
        String address = Optional.ofNullable(entries.get("address"))
                .flatMap(YamlSection::text)
                .orElse(ListenerSettings.DEFAULT_ADDRESS);
        long maxRequestBytes = Optional.ofNullable(entries.get("max-request-size"))
                .flatMap(ServerReader::readSize)
                .orElse(ListenerSettings.DEFAULT_MAX_REQUEST_BYTES);
        int trustedProxyHops = Optional.ofNullable(entries.get("trusted-proxy-hops"))
                .flatMap(h -> h.integer(0, 10))
                .orElse(0);
        boolean exposeStatus = Optional.ofNullable(entries.get("expose-status"))
                .flatMap(YamlSection::bool)
                .orElse(true);
        // Envoy's bound for SETTINGS_MAX_CONCURRENT_STREAMS.
        int http2MaxConcurrentStreams = Optional.ofNullable(entries.get("http2"))
                .map(http2 -> http2.entries(Set.of(HTTP2_MAX_STREAMS), Set.of()).get(HTTP2_MAX_STREAMS))
                .flatMap(streams -> streams.integer(1, Integer.MAX_VALUE))
                .orElse(ListenerSettings.DEFAULT_HTTP2_MAX_CONCURRENT_STREAMS);
        return new ListenerSettings(
                address, port, maxRequestBytes, trustedProxyHops, exposeStatus, http2MaxConcurrentStreams);
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
}
