package org.jairouter.config;

/**
 * When a request is tried again on another instance of the same model.
 *
 * @param attempts      extra tries after the first; connection failures and resets before the request
 *                      was sent are always safe to retry
 * @param onServerError also retry when an instance answers 5xx: opt-in, because the failed instance may
 *                      already have run (and billed) the generation
 */
public record RetryPolicy(int attempts, boolean onServerError) {
    public static final RetryPolicy DEFAULT = new RetryPolicy(2, false);
}
