package org.jairouter.envoy;

/**
 * One endpoint of one cluster as Envoy's admin interface reports it.
 *
 * @param hostname the endpoint's hostname (JAiRouter sets it to the instance's host[:port])
 */
public record HostStatus(String cluster, String hostname, boolean failedActiveHealthCheck, boolean ejected,
                         boolean awaitingFirstCheck, long requestsActive, long requestsTotal, long requestsFailed,
                         long connectFailures) {

    /** Gets traffic: not failing its checks, not ejected, and past its first check (new instances). */
    public boolean healthy() {
        return !failedActiveHealthCheck && !ejected && !awaitingFirstCheck;
    }
}
