package org.jairouter.translate;

import com.github.xds.core.v3.TypedExtensionConfig;
import com.github.xds.type.matcher.v3.Matcher;
import com.github.xds.type.matcher.v3.RegexMatcher;
import com.github.xds.type.matcher.v3.StringMatcher;
import com.google.protobuf.Any;
import com.google.protobuf.Message;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.extensions.common.matching.v3.ExtensionWithMatcher;
import io.envoyproxy.envoy.extensions.filters.http.composite.v3.Composite;
import io.envoyproxy.envoy.extensions.filters.http.composite.v3.ExecuteFilterAction;
import io.envoyproxy.envoy.extensions.filters.http.json_to_metadata.v3.JsonToMetadata;
import io.envoyproxy.envoy.extensions.filters.http.lua.v3.Lua;
import io.envoyproxy.envoy.type.matcher.v3.HttpResponseHeaderMatchInput;

/**
 * Reads {@code usage} from a whole (not streamed) JSON answer of the chat APIs without holding a large
 * answer in Envoy. Envoy's composite filter picks the reader when the response headers arrive:
 * <ul>
 * <li>a {@code content-length} of few digits: {@code json_to_metadata}'s response rules, native and the
 *     cheapest for the small answers most requests get. It holds the answer until its end, so the digits
 *     bound what it holds, below the stream's buffer limit (over it Envoy would answer 500 instead);</li>
 * <li>any other JSON answer (longer, or chunked without a length): the Lua tail reader, which lets every
 *     chunk pass at once and keeps only the body's last few KiB, where servers put {@code usage};</li>
 * <li>anything else (SSE streams, which {@code sse_to_metadata} reads): no reader at all.</li>
 * </ul>
 */
final class JsonUsageReader {
    private static final String TAIL_SCRIPT = LuaScripts.of("usage-json.lua");
    /** The most the whole-answer reader holds: every answer it takes has fewer than 10^6 bytes. */
    static final int MOST_DIGITS = 6;

    private JsonUsageReader() {}

    /** @param bufferLimitBytes the stream's buffer limit (a held answer over it would fail) */
    static Any wholeOrTail(long bufferLimitBytes) {
        Matcher.MatcherList.FieldMatcher small = choice(
                "content-length",
                lengthOfAtMostDigits(digitsBelow(bufferLimitBytes)),
                action("whole", ModelFilters.JSON_READER, wholeReader()));
        Matcher.MatcherList.FieldMatcher json = choice(
                "content-type",
                ModelFilters.JSON_CONTENT_TYPES.getRegex(),
                action("tail", "envoy.filters.http.lua", tailReader()));
        return Any.pack(ExtensionWithMatcher.newBuilder()
                .setExtensionConfig(io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig.newBuilder()
                        .setName("envoy.filters.http.composite")
                        .setTypedConfig(Any.pack(Composite.getDefaultInstance())))
                .setXdsMatcher(Matcher.newBuilder()
                        .setMatcherList(Matcher.MatcherList.newBuilder()
                                .addMatchers(small)
                                .addMatchers(json)))
                .build());
    }

    /** The Lua tail reader alone (embeddings and rerank, whose answers may be many MiB). */
    static Lua tailReader() {
        return Lua.newBuilder()
                .setDefaultSourceCode(DataSource.newBuilder().setInlineString(TAIL_SCRIPT))
                .build();
    }

    /** The most digits whose every number is below the limit (and at most MOST_DIGITS). */
    static int digitsBelow(long limitBytes) {
        int digits = 0;
        for (long power = 10; power <= limitBytes && digits < MOST_DIGITS; power *= 10) {
            digits++;
        }
        return digits;
    }

    private static String lengthOfAtMostDigits(int digits) {
        return "[0-9]{1," + Math.max(digits, 1) + "}";
    }

    private static JsonToMetadata wholeReader() {
        return JsonToMetadata.newBuilder()
                .setResponseRules(JsonToMetadata.MatchRules.newBuilder()
                        .addRules(UsageFilters.jsonRule(Names.INPUT_TOKENS, "usage", "prompt_tokens"))
                        .addRules(UsageFilters.jsonRule(Names.OUTPUT_TOKENS, "usage", "completion_tokens"))
                        // Responses and Anthropic's Messages name them so.
                        .addRules(UsageFilters.jsonRule(Names.INPUT_TOKENS, "usage", "input_tokens"))
                        .addRules(UsageFilters.jsonRule(Names.OUTPUT_TOKENS, "usage", "output_tokens"))
                        .setAllowContentTypesRegex(ModelFilters.JSON_CONTENT_TYPES))
                .build();
    }

    /** When this response header fully matches the regex, the composite filter runs this filter. */
    private static Matcher.MatcherList.FieldMatcher choice(String header, String regex, TypedExtensionConfig action) {
        return Matcher.MatcherList.FieldMatcher.newBuilder()
                .setPredicate(Matcher.MatcherList.Predicate.newBuilder()
                        .setSinglePredicate(Matcher.MatcherList.Predicate.SinglePredicate.newBuilder()
                                .setInput(TypedExtensionConfig.newBuilder()
                                        .setName(header)
                                        .setTypedConfig(Any.pack(HttpResponseHeaderMatchInput.newBuilder()
                                                .setHeaderName(header)
                                                .build())))
                                .setValueMatch(StringMatcher.newBuilder()
                                        .setSafeRegex(RegexMatcher.newBuilder()
                                                .setGoogleRe2(RegexMatcher.GoogleRE2.getDefaultInstance())
                                                .setRegex(regex)))))
                .setOnMatch(Matcher.OnMatch.newBuilder().setAction(action))
                .build();
    }

    /** The composite filter's action: run this filter (its name for Envoy's logs and stats). */
    private static TypedExtensionConfig action(String name, String filter, Message config) {
        return TypedExtensionConfig.newBuilder()
                .setName(name)
                .setTypedConfig(Any.pack(ExecuteFilterAction.newBuilder()
                        .setTypedConfig(io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig.newBuilder()
                                .setName(filter)
                                .setTypedConfig(Any.pack(config)))
                        .build()))
                .build();
    }
}
