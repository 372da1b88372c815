package org.jairouter.budget;

/**
 * Where per-request usage of client keys is reported: the access-log receiver calls it once per
 * request Envoy finished, for every Envoy of the fleet. Must be cheap and never block for long.
 */
public interface KeyUsage {
    /**
     * A key id's requests ended, having used tokens (prompt and completion together) over so many upstream
     * streams (a retry is another).
     */
    void record(String keyId, long requests, long tokens, long streams);

    /** An upstream stream of a key id's request started: Envoy logs it as the stream is established. */
    void started(String keyId);
}
