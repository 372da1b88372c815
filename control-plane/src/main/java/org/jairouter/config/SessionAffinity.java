package org.jairouter.config;

/**
 * Requests carrying the same session header value go to the same instance, so that its prefix cache
 * is reused, unless that instance already has more than {@code balanceFactor}% of the average
 * requests in flight (bounded-load consistent hashing), in which case the request goes to the next one.
 *
 * @param header        the request header naming the session, lower case
 * @param balanceFactor at least 100; 150 lets an instance take 1.5 times the average load
 */
public record SessionAffinity(String header, int balanceFactor) {
    public static final int DEFAULT_BALANCE_FACTOR = 150;
}
