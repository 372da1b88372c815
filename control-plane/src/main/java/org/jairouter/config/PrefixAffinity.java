package org.jairouter.config;

/**
 * Requests whose prompts begin alike go to the same instance, so that its prefix cache is reused, with
 * nothing from the client: for chat the key is the conversation's beginning (its messages up to the end
 * of the first user turn), which stays the same as the conversation grows. An instance above {@code
 * balanceFactor}% of the average requests in flight passes the request on to the next one on the ring
 * (bounded-load consistent hashing). A session header, when the request has one, decides instead.
 *
 * @param balanceFactor at least 100; the ring's, shared with the session header's ({@code session-balance-factor})
 */
public record PrefixAffinity(int balanceFactor) {}
