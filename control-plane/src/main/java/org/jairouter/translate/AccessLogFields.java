package org.jairouter.translate;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The one record Envoy writes per request, as field name -> Envoy command operator. Both sinks use it: the
 * JSON access log and the records sent to the control plane, which reads them back by these names. No field
 * carries a header value that could hold a secret, a query string, or any body text.
 */
public final class AccessLogFields {
    public static final String TIME = "time";
    public static final String REQUEST_ID = "request_id";
    public static final String CLIENT_ADDRESS = "client_address";
    public static final String METHOD = "method";
    public static final String PATH = "path";
    public static final String MODEL = "model";
    public static final String KEY_ID = "key_id";
    public static final String CLUSTER = "upstream_cluster";
    public static final String ROUTE = "route";
    public static final String INSTANCE = "instance";
    /** The instance behind a low-priority gate, where {@link #INSTANCE} is the gate. */
    public static final String GATED_INSTANCE = "gated_instance";

    public static final String UPSTREAM_HOST = "upstream_host";
    public static final String UPSTREAM_PATH = "upstream_path";
    public static final String STATUS = "status";
    public static final String RESPONSE_FLAGS = "response_flags";
    public static final String CONTENT_TYPE = "content_type";
    public static final String BYTES_RECEIVED = "bytes_received";
    public static final String BYTES_SENT = "bytes_sent";
    public static final String DURATION_MS = "duration_ms";
    public static final String FIRST_BYTE_MS = "time_to_first_byte_ms";
    public static final String INPUT_TOKENS = "input_tokens";
    public static final String OUTPUT_TOKENS = "output_tokens";
    public static final String UPSTREAM_ATTEMPTS = "upstream_attempts";

    /** In the order the JSON access log shows them. */
    static final Map<String, String> OPERATORS = operators();
    /**
     * The fields sent to the control plane: those it reads, in the order of the record's text. Each costs Envoy
     * formatting and the control plane parsing on every request, so the others stay in the file log.
     */
    public static final List<String> READ_BY_CONTROL_PLANE = List.of(
            KEY_ID,
            CLUSTER,
            ROUTE,
            INSTANCE,
            GATED_INSTANCE,
            STATUS,
            RESPONSE_FLAGS,
            CONTENT_TYPE,
            DURATION_MS,
            FIRST_BYTE_MS,
            INPUT_TOKENS,
            OUTPUT_TOKENS,
            UPSTREAM_ATTEMPTS);
    /**
     * Between the fields of the record's text: a control character, which no header value, host name,
     * flag or number can hold.
     */
    public static final char SEPARATOR = '\u001f';
    /** The first field of a request start's text ({@code RequestStarts}): no key id has a space. */
    public static final String START_MARK = "request start";

    private AccessLogFields() {}

    /**
     * The record's text, as one Envoy format string of the given operators; a field the listener does not
     * record (the key id without keys) is a constant "-", so the text always has every field.
     */
    static String recordFormat(Map<String, String> operators) {
        return READ_BY_CONTROL_PLANE.stream()
                .map(name -> operators.getOrDefault(name, "-"))
                .collect(Collectors.joining(String.valueOf(SEPARATOR)));
    }

    /** Where a field read by the control plane stands in the record's text (0 for the first). */
    public static int position(String field) {
        int position = READ_BY_CONTROL_PLANE.indexOf(field);
        if (position < 0) {
            throw new IllegalArgumentException(field + " is not in the record sent to the control plane");
        }
        return position;
    }

    private static Map<String, String> operators() {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put(TIME, "%START_TIME(%Y-%m-%dT%H:%M:%S.%3fZ)%");
        fields.put(REQUEST_ID, "%REQ(X-REQUEST-ID)%");
        fields.put(CLIENT_ADDRESS, "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%");
        fields.put(METHOD, "%REQ(:METHOD)%");
        // Paths without their query: a client may put its key there (?api_key=...), and the OpenAI API
        // takes none. The path the client sent, before any rewrite to the instance's.
        fields.put(PATH, "%PATH(NQ:ORIG_OR_PATH)%");
        fields.put(MODEL, "%DYNAMIC_METADATA(" + Names.METADATA_NAMESPACE + ":" + Names.MODEL_KEY + ")%");
        // The id of the client key Envoy authenticated, never its value; empty without keys or before auth.
        fields.put(KEY_ID, "%DYNAMIC_METADATA(" + Names.METADATA_NAMESPACE + ":" + Names.KEY_ID_KEY + ")%");
        fields.put(CLUSTER, "%UPSTREAM_CLUSTER%");
        // The route the request took, named by the translator ("messages:qwen"): it tells the API of a model.
        fields.put(ROUTE, "%ROUTE_NAME%");
        // The endpoint's hostname is the instance's host[:port] as configured.
        fields.put(INSTANCE, "%UPSTREAM_HOST_NAME%");
        fields.put(
                GATED_INSTANCE,
                "%DYNAMIC_METADATA(" + Names.METADATA_NAMESPACE + ":" + Names.GATED_INSTANCE_KEY + ")%");
        fields.put(UPSTREAM_HOST, "%UPSTREAM_HOST%");
        fields.put(UPSTREAM_PATH, "%PATH(NQ:PATH)%");
        fields.put(STATUS, "%RESPONSE_CODE%");
        fields.put(RESPONSE_FLAGS, "%RESPONSE_FLAGS%");
        fields.put(CONTENT_TYPE, "%RESP(CONTENT-TYPE)%");
        fields.put(BYTES_RECEIVED, "%BYTES_RECEIVED%");
        fields.put(BYTES_SENT, "%BYTES_SENT%");
        fields.put(DURATION_MS, "%DURATION%");
        // The first body byte from the instance (the first token of a stream), not its response headers.
        fields.put(FIRST_BYTE_MS, "%COMMON_DURATION(DS_RX_BEG:US_RX_BODY_BEG:ms)%");
        fields.put(INPUT_TOKENS, "%DYNAMIC_METADATA(" + Names.USAGE_NAMESPACE + ":" + Names.INPUT_TOKENS + ")%");
        fields.put(OUTPUT_TOKENS, "%DYNAMIC_METADATA(" + Names.USAGE_NAMESPACE + ":" + Names.OUTPUT_TOKENS + ")%");
        fields.put(UPSTREAM_ATTEMPTS, "%UPSTREAM_REQUEST_ATTEMPT_COUNT%");
        return Collections.unmodifiableMap(fields);
    }
}
