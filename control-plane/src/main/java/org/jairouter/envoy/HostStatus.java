package org.jairouter.envoy;

/**
 * One endpoint of one cluster as Envoy's admin interface reports it.
 *
 * @param hostname the endpoint's hostname (JAiRouter sets it to the instance's host[:port])
 */
public record HostStatus(String cluster, String hostname, boolean failedActiveHealthCheck, boolean ejected,
                         long requestsActive, long requestsTotal, long requestsFailed, long connectFailures) {

    public boolean healthy() {
        return !failedActiveHealthCheck && !ejected;
    }
}
