package org.jairouter.translate;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jairouter.config.ModelSource;
import org.jairouter.config.ServiceType;

/**
 * The Lua scripts of the Lua filters, made of the files beside the translator. The header names and
 * metadata keys a script shares with Java are written {@code {{NAME}}} in its files and filled in here
 * from the Java constants, so each is defined once.
 */
public final class LuaScripts {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{([A-Z_]+)}}");

    /**
     * The names a script may use, {@code {{NAME}}} in its text: the headers and metadata keys it shares with
     * the Java that sets or reads them, defined once there.
     */
    private static final Map<String, Object> SHARED_NAMES = Map.ofEntries(
            Map.entry("METADATA_NAMESPACE", Names.METADATA_NAMESPACE),
            Map.entry("MODEL_KEY", Names.MODEL_KEY),
            Map.entry("ERROR_KEY", Names.ERROR_KEY),
            Map.entry("INVALID_BODY", Names.INVALID_BODY),
            Map.entry("MISSING_MODEL", Names.MISSING_MODEL),
            Map.entry("MAX_MODEL_NAME", ServiceType.MAX_MODEL_NAME),
            Map.entry("MODEL_FIELD", ModelSource.MULTIPART_MODEL.name()),
            Map.entry("USAGE_NAMESPACE", Names.USAGE_NAMESPACE),
            Map.entry("INPUT_TOKENS", Names.INPUT_TOKENS),
            Map.entry("OUTPUT_TOKENS", Names.OUTPUT_TOKENS),
            Map.entry("PATH_HEADER", UpstreamHttp.PATH_HEADER),
            Map.entry("API_HEADER", UpstreamHttp.API_HEADER),
            Map.entry("REQUESTED_MODEL_HEADER", UpstreamHttp.REQUESTED_MODEL_HEADER),
            Map.entry("INSTANCE_MODEL_HEADER", UpstreamHttp.INSTANCE_MODEL_HEADER),
            Map.entry("FIRST_TOKEN_WAIT", FirstTokenWait.NAME),
            Map.entry("PREFIX_BYTES", ModelFilters.PREFIX_BYTES),
            Map.entry("PREFIX_NAMESPACE", PromptPrefixKey.NAMESPACE),
            Map.entry("PREFIX_METADATA_KEY", PromptPrefixKey.METADATA_KEY),
            Map.entry("PREFIX_FIRST_BYTES", PromptPrefixKey.FIRST_BYTES),
            Map.entry("PREFIX_HEAD_BYTES", PromptPrefixKey.HEAD_BYTES),
            Map.entry("PREFIX_KEY_BYTES", PromptPrefixKey.KEY_BYTES));

    /**
     * A Lua script made of these files in order (a later one may use the functions of an earlier one), each
     * {@code {{NAME}}} replaced by its value from {@link #SHARED_NAMES}; a name it does not know fails.
     */
    public static String of(String... files) {
        return of(Map.of(), files);
    }

    /** The same, with some of the shared names given other values (a custom service's model field). */
    static String of(Map<String, Object> names, String... files) {
        StringBuilder script = new StringBuilder();
        for (String file : files) {
            Matcher placeholder = PLACEHOLDER.matcher(text(file));
            while (placeholder.find()) {
                Object value = names.getOrDefault(placeholder.group(1), SHARED_NAMES.get(placeholder.group(1)));
                if (value == null) {
                    throw new IllegalStateException(file + ": no shared name " + placeholder.group(1));
                }
                placeholder.appendReplacement(script, Matcher.quoteReplacement(value.toString()));
            }
            placeholder.appendTail(script);
        }
        return script.toString();
    }

    private LuaScripts() {}

    private static String text(String name) {
        try (InputStream in = LuaScripts.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
