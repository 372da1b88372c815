package org.jairouter.config;

/**
 * Where the router accepts traffic.
 *
 * @param maxRequestBytes  the largest request body accepted; larger ones get 413
 * @param trustedProxyHops how many proxies in front of the router append to X-Forwarded-For; the
 *                         client address is read that many entries from the right (0: the
 *                         connecting address, and X-Forwarded-For is never trusted)
 * @param exposeStatus     whether the router port also serves {@code /v1/status} and the services' status
 *                         paths (they show base-urls and config problems); the status port always does
 * @param http2MaxConcurrentStreams the most streams an HTTP/2 client may have open on one connection
 */
public record ListenerSettings(
        String address,
        int port,
        long maxRequestBytes,
        int trustedProxyHops,
        boolean exposeStatus,
        int http2MaxConcurrentStreams) {
    public static final String DEFAULT_ADDRESS = "0.0.0.0";
    public static final int DEFAULT_PORT = 8080;
    public static final long DEFAULT_MAX_REQUEST_BYTES = 32L * 1024 * 1024;
    /**
     * Envoy's edge example. Clients that need more streams at once open another connection (OkHttp does),
     * but httpx (Python's openai) queues them on the one it has: for many long streams from one such
     * client, raise it.
     */
    public static final int DEFAULT_HTTP2_MAX_CONCURRENT_STREAMS = 100;

    public static final ListenerSettings DEFAULT = new ListenerSettings(
            DEFAULT_ADDRESS, DEFAULT_PORT, DEFAULT_MAX_REQUEST_BYTES, 0, true, DEFAULT_HTTP2_MAX_CONCURRENT_STREAMS);
}
