package org.jairouter.config;

/** The model-wide settings a service inherits unless it sets its own. */
record ServiceDefaults(
        LoadBalancing loadBalancing,
        HealthCheck healthCheck,
        RetryPolicy retry,
        Adapter adapter,
        RateLimit rateLimit,
        CircuitBreaker circuitBreaker) {}
