package org.jairouter.config;

/**
 * A {@code circuit-breaker} section (JAiRouter's), per service and so per instance of it: an instance
 * that fails {@code failureThreshold} times in a row gets no traffic for {@code timeoutMillis}, then is
 * tried again. JAiRouter closes the breaker after {@code successThreshold} successes in half-open
 * state; Envoy returns the instance at once, and a failure then ejects it again, for longer.
 *
 * @param maxConcurrentRequests ours: requests in flight per instance, enforced as the model's total
 *                              (this times its active instances; beyond it 503, see
 *                              docs/health-and-fallback.md); 0 for no limit
 * @param maxConcurrentLowPriorityRequests ours: of those, how many low-priority requests (of keys of
 *                              {@code priority: low}, or asking for it) per instance; 0 for the default,
 *                              half (see {@link #lowPriorityRequests})
 * @param modelLimits           ours: what each model of the service carries at once, all instances together
 */
public record CircuitBreaker(
        boolean enabled,
        int failureThreshold,
        long timeoutMillis,
        int successThreshold,
        int maxConcurrentRequests,
        int maxConcurrentLowPriorityRequests,
        ModelLimits modelLimits) {
    /** JAiRouter's defaults: off, 5 failures, 60 s, 2 successes; ours: no per-instance cap, 100,000 per model. */
    public static final CircuitBreaker DEFAULT = new CircuitBreaker(false, 5, 60_000, 2, 0, 0, ModelLimits.DEFAULT);

    /**
     * Low-priority requests in flight per instance: as configured, else half of max-concurrent-requests (at
     * least 1, so that a cap of 1 reserves nothing rather than shutting low priority out).
     */
    public int lowPriorityRequests() {
        return maxConcurrentLowPriorityRequests > 0
                ? maxConcurrentLowPriorityRequests
                : Math.max(1, maxConcurrentRequests / 2);
    }
}
