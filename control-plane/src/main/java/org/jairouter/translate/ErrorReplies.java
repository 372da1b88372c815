package org.jairouter.translate;

import com.google.protobuf.BoolValue;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.accesslog.v3.AccessLogFilter;
import io.envoyproxy.envoy.config.accesslog.v3.AndFilter;
import io.envoyproxy.envoy.config.accesslog.v3.ComparisonFilter;
import io.envoyproxy.envoy.config.accesslog.v3.HeaderFilter;
import io.envoyproxy.envoy.config.accesslog.v3.MetadataFilter;
import io.envoyproxy.envoy.config.accesslog.v3.ResponseFlagFilter;
import io.envoyproxy.envoy.config.accesslog.v3.StatusCodeFilter;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.RuntimeUInt32;
import io.envoyproxy.envoy.config.core.v3.SubstitutionFormatString;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.LocalReplyConfig;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.ResponseMapper;
import io.envoyproxy.envoy.type.matcher.v3.MetadataMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.matcher.v3.ValueMatcher;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jairouter.config.ModelSource;
import org.jairouter.config.ServiceType;

/**
 * Every reply Envoy makes itself — our direct responses and its own errors (no route, no healthy
 * upstream, body too large...) — leaves as OpenAI's error JSON
 * {@code {"error":{"message","type","param","code"}}} with {@code content-type: application/json}.
 * Direct responses carry their message as the body; the mappers here pick type, param and code.
 */
final class ErrorReplies {
    /** Envoy's model reader also finds no model in a value of many kilobytes: the message covers both. */
    static final String MISSING_MODEL = "You must provide a model parameter (a model name of at most "
            + ServiceType.MAX_MODEL_NAME + " characters).";

    static final String MODEL_NOT_FOUND = "model not found";
    static final String METHOD_NOT_ALLOWED = "method not allowed";
    static final String MODEL_NOT_PERMITTED = "model not permitted";
    static final String QUOTA_SPENT = "daily quota spent";
    /** The model the request named, cut to the longest name a config can hold: replies never echo kilobytes. */
    private static final String MODEL = "%DYNAMIC_METADATA(" + Names.METADATA_NAMESPACE + ":" + Names.MODEL_KEY + "):"
            + ServiceType.MAX_MODEL_NAME + "%";

    private static final String BODY = "%LOCAL_REPLY_BODY%";
    /** The path the client sent, without a query, which may hold a credential (?api_key=...). */
    private static final String PATH = "%PATH(NQ:ORIG_OR_PATH)%";

    private static final String PERMISSION_ERROR = "permission_error";
    private static final String CLIENT_ERROR = "invalid_request_error";
    private static final String SERVER_ERROR = "server_error";

    private ErrorReplies() {}

    static String invalidBody(ModelSource source) {
        return switch (source.kind()) {
            case JSON ->
                "We could not parse the JSON body of your request; expected a JSON object with a '" + source.name()
                        + "' field.";
            case MULTIPART -> "Expected a multipart/form-data body with a '" + source.name() + "' field.";
            // A request whose model is on its request line is never read as a body.
            case QUERY, HEADER -> throw new IllegalArgumentException("no body is read for " + source);
        };
    }

    /** A request that names no model where its service reads it. */
    static String missingModel(ModelSource source) {
        return switch (source.kind()) {
            case JSON, MULTIPART ->
                source.isModelField()
                        ? MISSING_MODEL
                        : "You must provide the field '" + source.name() + "' naming the model (at most "
                                + ServiceType.MAX_MODEL_NAME + " characters).";
            case QUERY ->
                "You must provide the query parameter '" + source.name() + "' naming the model (at most "
                        + ServiceType.MAX_MODEL_NAME + " characters).";
            case HEADER ->
                "You must provide the header '" + source.name() + "' naming the model (at most "
                        + ServiceType.MAX_MODEL_NAME + " characters).";
        };
    }

    /**
     * The refusals of client keys ({@link ClientKeys}), in the shape OpenAI's SDKs map to their exceptions.
     * The first reply whose filter matches is made, so the narrower filters come first.
     */
    private static final List<Reply> KEY_REPLIES = List.of(
            // api_key_auth: no key, or one that is unknown (expired and disabled keys are not sent to Envoy).
            new Reply(
                    status(ComparisonFilter.Op.EQ, 401),
                    "Incorrect or missing API key. Send a valid key as Authorization: Bearer <key>.",
                    CLIENT_ERROR,
                    null,
                    "invalid_api_key"),
            // The model routes refuse after the body named the model...
            new Reply(
                    allOf(status(ComparisonFilter.Op.EQ, 403), metadataIs(Names.MODEL_KEY, null)),
                    "Your API key may not use the model '" + MODEL + "'.",
                    PERMISSION_ERROR,
                    "model",
                    "permission_denied"),
            // ...api_key_auth (service) and rbac (client address) before it was read.
            new Reply(
                    status(ComparisonFilter.Op.EQ, 403),
                    "Your API key may not call " + PATH + ", or not from your address.",
                    PERMISSION_ERROR,
                    null,
                    "permission_denied"),
            // A key whose daily budget is spent: the quota route marks the request.
            new Reply(
                    allOf(
                            status(ComparisonFilter.Op.EQ, 429),
                            AccessLogFilter.newBuilder()
                                    .setHeaderFilter(HeaderFilter.newBuilder().setHeader(ClientKeys.quotaMark()))
                                    .build()),
                    "You exceeded your daily quota for this API key; it resets at 00:00 UTC.",
                    "insufficient_quota",
                    null,
                    "insufficient_quota"));

    /**
     * local_ratelimit, whose retry-after header stays. Its RL flag is set only after the reply is made,
     * too late for a mapper; every other 429 Envoy makes is marked (KEY_REPLIES).
     */
    private static final Reply RATE_LIMITED = new Reply(
            status(ComparisonFilter.Op.EQ, 429),
            "Rate limit reached for your requests; retry after the number of seconds in the retry-after header.",
            "requests",
            null,
            "rate_limit_exceeded");

    /**
     * A model at its max-concurrent-requests (ClusterTranslator): retry-after lets the SDKs, which retry a
     * 503 by themselves, come back when a slot may be free.
     */
    private static ResponseMapper overConcurrencyCap(String model) {
        return new Reply(
                        flag("UO"),
                        "Model '" + model + "' is serving as many requests as its instances accept"
                                + " (max-concurrent-requests); retry shortly.",
                        SERVER_ERROR,
                        null,
                        "model_overloaded")
                .mapper().toBuilder()
                        .addHeadersToAdd(header("retry-after", "1"))
                        .build();
    }

    /** How long a refused low-priority (batch) client should wait: slots free as generations end. */
    static final int LOW_PRIORITY_RETRY_AFTER_SECONDS = 5;

    /**
     * A low-priority request refused ({@link LowPriorityGates}): its share of the model in use, or the model
     * full. 429, which the SDKs retry after retry-after, as they do a 503.
     */
    private static ResponseMapper lowPriorityRefused(AccessLogFilter filter, String model) {
        return new Reply(
                        filter,
                        "Model '" + model + "' is busy and this API key's requests are low priority: they may"
                                + " use only part of the model's max-concurrent-requests, the rest is kept for"
                                + " interactive requests. Retry after the number of seconds in the retry-after"
                                + " header.",
                        "requests",
                        null,
                        "low_priority_capacity")
                .mapper().toBuilder()
                        .setStatusCode(UInt32Value.of(429))
                        .addHeadersToAdd(header("retry-after", String.valueOf(LOW_PRIORITY_RETRY_AFTER_SECONDS)))
                        .build();
    }

    private static Reply noHealthyInstance(String model) {
        return new Reply(
                flag("UH"),
                "No healthy instance of model '" + model + "' is available.",
                SERVER_ERROR,
                null,
                "service_unavailable");
    }

    /** The replies every config has, after those of the features it uses. */
    private static List<Reply> commonReplies(long maxRequestBytes) {
        return List.of(
                new Reply(metadataIs(Names.ERROR_KEY, Names.MISSING_MODEL), BODY, CLIENT_ERROR, "model", null),
                // Envoy's own 400s (a path it cannot normalise, a malformed header) come with no body.
                new Reply(
                        allOf(
                                status(ComparisonFilter.Op.EQ, 400),
                                metadataAbsent(Names.ERROR_KEY),
                                metadataAbsent(Names.MODEL_KEY)),
                        "The request could not be read (%RESPONSE_CODE_DETAILS%).",
                        CLIENT_ERROR,
                        null,
                        null),
                new Reply(
                        allOf(status(ComparisonFilter.Op.EQ, 404), metadataIs(Names.MODEL_KEY, null)),
                        // Each path serves only some models (a model's instances may lack an API): the reply names it.
                        "The model '" + MODEL + "' does not exist or is not served on " + PATH + " by this router.",
                        CLIENT_ERROR,
                        "model",
                        "model_not_found"),
                new Reply(
                        status(ComparisonFilter.Op.EQ, 405),
                        "Invalid method for URL (%REQ(:METHOD)% " + PATH + "); use POST.",
                        CLIENT_ERROR,
                        null,
                        null),
                new Reply(flag("NR"), "Invalid URL (%REQ(:METHOD)% " + PATH + ")", CLIENT_ERROR, null, null),
                new Reply(
                        status(ComparisonFilter.Op.EQ, 413),
                        "Request body too large; this router accepts at most " + maxRequestBytes + " bytes.",
                        CLIENT_ERROR,
                        null,
                        "request_too_large"),
                noHealthyInstance(MODEL),
                new Reply(flag("OM"), "The router is overloaded; try again later.", SERVER_ERROR, null, "overloaded"),
                new Reply(
                        flag("UC"),
                        "The instance of model '" + MODEL + "' that took the request closed the connection before"
                                + " answering.",
                        SERVER_ERROR,
                        null,
                        "instance_closed_connection"),
                // A try's response timeout (the service's response-timeout), the last try's when retried.
                new Reply(
                        flag("UT"),
                        "The instance of model '" + MODEL + "' did not start its answer within the model's"
                                + " response timeout.",
                        SERVER_ERROR,
                        null,
                        "timeout"),
                new Reply(
                        status(ComparisonFilter.Op.GE, 500),
                        "No instance of model '" + MODEL + "' could answer: " + BODY,
                        SERVER_ERROR,
                        null,
                        null));
    }

    /**
     * A streamed request's try that sent no token within the first-token timeout ({@link FirstTokenWait}),
     * the last try's when retried; before the response timeout's reply, whose flag it shares.
     */
    private static final Reply FIRST_TOKEN_TIMEOUT = new Reply(
            allOf(flag("UT"), streamRequested()),
            "The instance of model '" + MODEL + "' did not send its first token within the model's"
                    + " first-token timeout.",
            SERVER_ERROR,
            null,
            "timeout");

    /**
     * @param lowPriority       some model has a low-priority gate, whose cluster refuses with the route's mark
     * @param firstTokensWaited some service has a first-token timeout (streams are read for it)
     */
    static LocalReplyConfig localReplyConfig(
            long maxRequestBytes,
            boolean keysEnforced,
            boolean rateLimited,
            boolean concurrencyCapped,
            boolean lowPriority,
            boolean firstTokensWaited) {
        LocalReplyConfig.Builder replies = LocalReplyConfig.newBuilder();
        if (keysEnforced) {
            KEY_REPLIES.forEach(reply -> replies.addMappers(reply.mapper()));
        }
        if (rateLimited) {
            replies.addMappers(RATE_LIMITED.mapper());
        }
        if (lowPriority) {
            AccessLogFilter marked = AccessLogFilter.newBuilder()
                    .setHeaderFilter(HeaderFilter.newBuilder()
                            .setHeader(HeaderMatcher.newBuilder()
                                    .setName(LowPriorityGates.MARK.getHeader().getKey())
                                    .setStringMatch(StringMatcher.newBuilder()
                                            .setExact(LowPriorityGates.MARK
                                                    .getHeader()
                                                    .getValue()))))
                    .build();
            replies.addMappers(lowPriorityRefused(allOf(flag("UO"), marked), MODEL));
        }
        if (concurrencyCapped) {
            replies.addMappers(overConcurrencyCap(MODEL));
        }
        if (firstTokensWaited) {
            replies.addMappers(FIRST_TOKEN_TIMEOUT.mapper());
        }
        commonReplies(maxRequestBytes).forEach(reply -> replies.addMappers(reply.mapper()));
        return replies.setBodyFormat(error(BODY, CLIENT_ERROR, null, null)).build();
    }

    /**
     * The replies of a model's saturation gate ({@link SaturationGates}), which the model's route
     * retries on the next model: every reply Envoy makes there is marked with the header. Each is in
     * OpenAI's shape as well, for the request that cannot be retried (a body larger than Envoy holds
     * for retries), which receives it as it is. The model is named as configured: the gate has not read
     * the body.
     */
    static LocalReplyConfig gateReplyConfig(String model, String markHeader) {
        String name = model.replace("%", "%%");
        return internalListenerReplies(overConcurrencyCap(name), name, List.of(header(markHeader, "%RESPONSE_FLAGS%")));
    }

    /**
     * The replies of a model's low-priority gate ({@link LowPriorityGates}), which only low-priority requests
     * take: the model full refuses them as their share in use does outside. Each names no instance, so that
     * the record of a request the gate refused counts on no instance and no budget.
     */
    static LocalReplyConfig lowPriorityGateReplyConfig(String model) {
        String name = model.replace("%", "%%");
        // No instance answered: the one Envoy had picked (its route names it) must not count as serving.
        HeaderValueOption noInstance = header(LowPriorityGates.INSTANCE_HEADER, "-");
        return internalListenerReplies(lowPriorityRefused(flag("UO"), name), name, List.of(noInstance));
    }

    /** The replies of an internal listener, the model named as configured, each with these headers. */
    private static LocalReplyConfig internalListenerReplies(
            ResponseMapper whenFull, String name, List<HeaderValueOption> headers) {
        AccessLogFilter anyFlag = AccessLogFilter.newBuilder()
                .setResponseFlagFilter(ResponseFlagFilter.getDefaultInstance())
                .build();
        return LocalReplyConfig.newBuilder()
                .addMappers(whenFull.toBuilder().addAllHeadersToAdd(headers))
                .addMappers(noHealthyInstance(name).mapper().toBuilder().addAllHeadersToAdd(headers))
                .addMappers(new Reply(
                                anyFlag,
                                "No instance of model '" + name + "' could answer: " + BODY,
                                SERVER_ERROR,
                                null,
                                null)
                        .mapper().toBuilder().addAllHeadersToAdd(headers))
                .build();
    }

    private static HeaderValueOption header(String name, String value) {
        return HeaderValueOption.newBuilder()
                .setHeader(HeaderValue.newBuilder().setKey(name).setValue(value))
                .setAppendAction(HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD)
                .build();
    }

    /** A reply Envoy makes itself that the filter matches gets this OpenAI error as its body. */
    private record Reply(AccessLogFilter filter, String message, String type, String param, String code) {
        ResponseMapper mapper() {
            return ResponseMapper.newBuilder()
                    .setFilter(filter)
                    .setBodyFormatOverride(error(message, type, param, code))
                    .build();
        }
    }

    private static SubstitutionFormatString error(String message, String type, String param, String code) {
        Map<String, Value> fields = new LinkedHashMap<>();
        fields.put("message", Protos.string(message));
        fields.put("type", Protos.string(type));
        fields.put("param", orNull(param));
        fields.put("code", orNull(code));
        Struct error = Struct.newBuilder()
                .putFields(
                        "error",
                        Value.newBuilder().setStructValue(Protos.struct(fields)).build())
                .build();
        return SubstitutionFormatString.newBuilder().setJsonFormat(error).build();
    }

    private static Value orNull(String value) {
        return value == null
                ? Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build()
                : Protos.string(value);
    }

    private static AccessLogFilter status(ComparisonFilter.Op op, int code) {
        return AccessLogFilter.newBuilder()
                .setStatusCodeFilter(StatusCodeFilter.newBuilder()
                        .setComparison(ComparisonFilter.newBuilder()
                                .setOp(op)
                                .setValue(RuntimeUInt32.newBuilder()
                                        .setDefaultValue(code)
                                        .setRuntimeKey("jairouter.local_reply."
                                                + op.name().toLowerCase() + "_" + code))))
                .build();
    }

    private static AccessLogFilter allOf(AccessLogFilter... filters) {
        return AccessLogFilter.newBuilder()
                .setAndFilter(AndFilter.newBuilder().addAllFilters(List.of(filters)))
                .build();
    }

    private static AccessLogFilter flag(String responseFlag) {
        return AccessLogFilter.newBuilder()
                .setResponseFlagFilter(ResponseFlagFilter.newBuilder().addFlags(responseFlag))
                .build();
    }

    /**
     * No such dynamic metadata key. The filter ignores a matcher's {@code invert}, so: a missing key
     * passes, and a present one (always a string here) fails a match that only a null value passes.
     */
    private static AccessLogFilter metadataAbsent(String key) {
        return AccessLogFilter.newBuilder()
                .setMetadataFilter(MetadataFilter.newBuilder()
                        .setMatcher(MetadataMatcher.newBuilder()
                                .setFilter(Names.METADATA_NAMESPACE)
                                .addPath(
                                        MetadataMatcher.PathSegment.newBuilder().setKey(key))
                                .setValue(ValueMatcher.newBuilder()
                                        .setNullMatch(ValueMatcher.NullMatch.getDefaultInstance())))
                        .setMatchIfKeyNotFound(BoolValue.of(true)))
                .build();
    }

    /** The request asked for a stream ({@code "stream": true}, read where a first-token timeout applies). */
    private static AccessLogFilter streamRequested() {
        return AccessLogFilter.newBuilder()
                .setMetadataFilter(MetadataFilter.newBuilder()
                        .setMatcher(MetadataMatcher.newBuilder()
                                .setFilter(Names.METADATA_NAMESPACE)
                                .addPath(
                                        MetadataMatcher.PathSegment.newBuilder().setKey(Names.STREAM_KEY))
                                .setValue(ValueMatcher.newBuilder().setBoolMatch(true)))
                        .setMatchIfKeyNotFound(BoolValue.of(false)))
                .build();
    }

    /** Dynamic metadata key equal to a value, or merely present when the value is null. */
    private static AccessLogFilter metadataIs(String key, String value) {
        ValueMatcher.Builder matcher = ValueMatcher.newBuilder();
        if (value == null) {
            matcher.setPresentMatch(true);
        } else {
            matcher.setStringMatch(StringMatcher.newBuilder().setExact(value));
        }
        return AccessLogFilter.newBuilder()
                .setMetadataFilter(MetadataFilter.newBuilder()
                        .setMatcher(MetadataMatcher.newBuilder()
                                .setFilter(Names.METADATA_NAMESPACE)
                                .addPath(
                                        MetadataMatcher.PathSegment.newBuilder().setKey(key))
                                .setValue(matcher))
                        .setMatchIfKeyNotFound(BoolValue.of(false)))
                .build();
    }
}
