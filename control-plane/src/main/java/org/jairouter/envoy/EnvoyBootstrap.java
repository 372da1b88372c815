package org.jairouter.envoy;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Fills in envoy/bootstrap.template.yaml: the only config Envoy reads from disk. */
public final class EnvoyBootstrap {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Z_]+)}");

    private EnvoyBootstrap() {}

    public static String render(
            String nodeId, String adminAddress, int adminPort, String xdsAddress, int xdsPort, EnvoyLimits limits) {
        Map<String, String> values = Map.of(
                // Quoted, so that an id such as "n", "on" or "12" stays a string in YAML.
                "NODE_ID", new String(JsonStringEncoder.getInstance().quoteAsString(nodeId)),
                "ADMIN_ADDRESS", adminAddress,
                "ADMIN_PORT", Integer.toString(adminPort),
                "XDS_ADDRESS", xdsAddress,
                "XDS_PORT", Integer.toString(xdsPort),
                "MAX_HEAP_BYTES", Long.toString(limits.maxHeapBytes()),
                "MAX_CONNECTIONS", Integer.toString(limits.maxConnections()));
        Matcher matcher = PLACEHOLDER.matcher(template());
        StringBuilder out = new StringBuilder();
        while (matcher.find()) {
            String value = values.get(matcher.group(1));
            if (value == null) {
                throw new IllegalStateException("bootstrap template has unknown placeholder " + matcher.group());
            }
            matcher.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        return matcher.appendTail(out).toString();
    }

    private static String template() {
        try (InputStream in = EnvoyBootstrap.class.getResourceAsStream("bootstrap.template.yaml")) {
            if (in == null) {
                throw new IllegalStateException("bootstrap.template.yaml missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
