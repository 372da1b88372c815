package org.jairouter.translate;

/** Names shared by the generated resources, the Envoy bootstrap and the status reader. */
public final class Names {
    /** Dynamic and endpoint metadata namespace for everything JAiRouter sets. */
    public static final String METADATA_NAMESPACE = "jairouter";

    public static final String LISTENER = "jairouter_http";
    public static final String ROUTE_CONFIG = "jairouter_routes";
    /** Every header the router sets for itself starts so; a client's are removed on arrival ({@link InternalHeaders}). */
    public static final String INTERNAL_HEADER_PREFIX = "x-jairouter-";
    /** The id of the client key Envoy authenticated, as Envoy passes it to the router's own endpoints. */
    public static final String KEY_ID_HEADER = INTERNAL_HEADER_PREFIX + "key-id";
    /** Metadata keys: the requested model, and why no model could be read. */
    static final String MODEL_KEY = "model";

    /** Metadata key of the request's {@code stream} flag, read where a service has a first-token timeout. */
    static final String STREAM_KEY = "stream";

    static final String ERROR_KEY = "error";
    static final String INVALID_BODY = "invalid_body";
    static final String MISSING_MODEL = "missing_model";
    /** The route a request takes until its body has been read (no model in the metadata yet). */
    static final String AWAITING_BODY = "awaiting_body";
    /** Metadata key of the authenticated client key's id (never its value). */
    static final String KEY_ID_KEY = "key_id";
    /** Metadata key of the instance that served a request through a low-priority gate ({@link LowPriorityGates}). */
    static final String GATED_INSTANCE_KEY = "gated_instance";
    /** Dynamic metadata namespace and keys of the token counts read from responses. */
    static final String USAGE_NAMESPACE = "jairouter.usage";

    static final String INPUT_TOKENS = "input_tokens";
    static final String OUTPUT_TOKENS = "output_tokens";
    /** The bootstrap's cluster to the control plane: xDS, and the request records sent back. */
    static final String CONTROL_PLANE_CLUSTER = "jairouter_xds";

    private Names() {}
}
