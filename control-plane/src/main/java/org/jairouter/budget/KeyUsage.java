package org.jairouter.budget;

/**
 * Where per-request usage of client keys is reported: the access-log receiver calls it once per
 * request Envoy finished, for every Envoy of the fleet. Must be cheap and never block for long.
 */
public interface KeyUsage {
    /** A key id made requests that used tokens (prompt and completion together). */
    void record(String keyId, long requests, long tokens);
}
