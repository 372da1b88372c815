package org.jairouter.config;

import java.time.Duration;
import java.util.Optional;

/**
 * The model-wide settings a service inherits unless it sets its own.
 *
 * @param responseTimeout empty: each service type's own default
 */
record ServiceDefaults(
        LoadBalancing loadBalancing,
        HealthCheck healthCheck,
        RetryPolicy retry,
        Adapter adapter,
        RateLimit rateLimit,
        CircuitBreaker circuitBreaker,
        Optional<Duration> responseTimeout) {}
