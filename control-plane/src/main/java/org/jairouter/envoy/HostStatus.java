package org.jairouter.envoy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * One endpoint of one cluster as Envoy's admin interface reports it.
 *
 * @param hostname the endpoint's hostname (JAiRouter sets it to the instance's host[:port])
 * @param weight   the load-balancing weight Envoy uses now (load-aware changes it as servers report load)
 */
public record HostStatus(
        String cluster,
        String hostname,
        boolean failedActiveHealthCheck,
        boolean ejected,
        boolean awaitingFirstCheck,
        long requestsActive,
        long requestsTotal,
        long requestsFailed,
        long connectFailures,
        long weight) {

    /** Gets traffic: not failing its checks, not ejected, and past its first check (new instances). */
    public boolean healthy() {
        return !failedActiveHealthCheck && !ejected && !awaitingFirstCheck;
    }

    /** Every endpoint of every cluster in the {@code cluster_statuses} of Envoy's {@code /clusters?format=json}. */
    public static List<HostStatus> allIn(JsonNode clusterStatuses) {
        List<HostStatus> hosts = new ArrayList<>();
        for (JsonNode cluster : clusterStatuses) {
            for (JsonNode host : cluster.path("host_statuses")) {
                JsonNode health = host.path("health_status");
                hosts.add(new HostStatus(
                        cluster.path("name").asText(),
                        host.path("hostname").asText(),
                        health.path("failed_active_health_check").asBoolean(false),
                        health.path("failed_outlier_check").asBoolean(false),
                        health.path("pending_active_hc").asBoolean(false),
                        stat(host, "rq_active"),
                        stat(host, "rq_total"),
                        stat(host, "rq_error"),
                        stat(host, "cx_connect_fail"),
                        host.path("weight").asLong(1)));
            }
        }
        return hosts;
    }

    /** A host's counter or gauge; proto3 JSON leaves out zeros and writes uint64 as strings. */
    private static long stat(JsonNode host, String name) {
        for (JsonNode stat : host.path("stats")) {
            if (name.equals(stat.path("name").asText())) {
                return stat.path("value").asLong(0);
            }
        }
        return 0;
    }
}
