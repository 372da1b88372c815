package org.jairouter.config;

/**
 * Where the router accepts traffic.
 *
 * @param maxRequestBytes the largest request body accepted; larger ones get 413
 */
public record ListenerSettings(String address, int port, long maxRequestBytes) {
    public static final String DEFAULT_ADDRESS = "0.0.0.0";
    public static final int DEFAULT_PORT = 8080;
    public static final long DEFAULT_MAX_REQUEST_BYTES = 32L * 1024 * 1024;
}
