package org.jairouter.envoy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
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

    private static final JsonFactory JSON = new JsonFactory();

    /**
     * Every endpoint of every cluster in Envoy's {@code /clusters?format=json}. Read as a stream, field by
     * field: at 10,000 endpoints the answer is megabytes, and a tree of it cost the control plane a tenth
     * of a core at every reading.
     */
    public static List<HostStatus> allIn(String clustersJson) throws IOException {
        List<HostStatus> hosts = new ArrayList<>();
        try (JsonParser json = JSON.createParser(clustersJson)) {
            if (json.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("Envoy admin /clusters is not a JSON object");
            }
            while (json.nextToken() == JsonToken.FIELD_NAME) {
                String field = json.currentName();
                if (json.nextToken() == JsonToken.START_ARRAY && field.equals("cluster_statuses")) {
                    while (json.nextToken() == JsonToken.START_OBJECT) {
                        readCluster(json, hosts);
                    }
                } else {
                    json.skipChildren();
                }
            }
        }
        return hosts;
    }

    /** One cluster's endpoints; its name may come after them. */
    private static void readCluster(JsonParser json, List<HostStatus> hosts) throws IOException {
        String name = "";
        List<Host> read = new ArrayList<>();
        while (json.nextToken() == JsonToken.FIELD_NAME) {
            String field = json.currentName();
            JsonToken value = json.nextToken();
            if (field.equals("name")) {
                name = json.getValueAsString("");
            } else if (field.equals("host_statuses") && value == JsonToken.START_ARRAY) {
                while (json.nextToken() == JsonToken.START_OBJECT) {
                    read.add(readHost(json));
                }
            } else {
                json.skipChildren();
            }
        }
        for (Host host : read) {
            hosts.add(host.in(name));
        }
    }

    /** What one entry of host_statuses says, before its cluster's name is known. */
    private static final class Host {
        String hostname = "";
        boolean failedActiveHealthCheck;
        boolean ejected;
        boolean awaitingFirstCheck;
        long requestsActive;
        long requestsTotal;
        long requestsFailed;
        long connectFailures;
        long weight = 1;

        HostStatus in(String cluster) {
            return new HostStatus(
                    cluster,
                    hostname,
                    failedActiveHealthCheck,
                    ejected,
                    awaitingFirstCheck,
                    requestsActive,
                    requestsTotal,
                    requestsFailed,
                    connectFailures,
                    weight);
        }
    }

    private static Host readHost(JsonParser json) throws IOException {
        Host host = new Host();
        while (json.nextToken() == JsonToken.FIELD_NAME) {
            String field = json.currentName();
            JsonToken value = json.nextToken();
            switch (field) {
                case "hostname" -> host.hostname = json.getValueAsString("");
                case "weight" -> host.weight = json.getValueAsLong(1);
                case "health_status" -> readHealth(json, host);
                case "stats" -> readStats(json, host, value);
                default -> json.skipChildren();
            }
        }
        return host;
    }

    private static void readHealth(JsonParser json, Host host) throws IOException {
        if (json.currentToken() != JsonToken.START_OBJECT) {
            json.skipChildren();
            return;
        }
        while (json.nextToken() == JsonToken.FIELD_NAME) {
            String field = json.currentName();
            json.nextToken();
            boolean set = json.getValueAsBoolean(false);
            switch (field) {
                case "failed_active_health_check" -> host.failedActiveHealthCheck = set;
                case "failed_outlier_check" -> host.ejected = set;
                case "pending_active_hc" -> host.awaitingFirstCheck = set;
                default -> json.skipChildren();
            }
        }
    }

    /** A host's counters and gauges; proto3 JSON leaves out zeros and writes uint64 as strings. */
    private static void readStats(JsonParser json, Host host, JsonToken value) throws IOException {
        if (value != JsonToken.START_ARRAY) {
            json.skipChildren();
            return;
        }
        while (json.nextToken() == JsonToken.START_OBJECT) {
            String name = "";
            long count = 0;
            while (json.nextToken() == JsonToken.FIELD_NAME) {
                String field = json.currentName();
                json.nextToken();
                if (field.equals("name")) {
                    name = json.getValueAsString("");
                } else if (field.equals("value")) {
                    count = json.getValueAsLong(0);
                } else {
                    json.skipChildren();
                }
            }
            switch (name) {
                case "rq_active" -> host.requestsActive = count;
                case "rq_total" -> host.requestsTotal = count;
                case "rq_error" -> host.requestsFailed = count;
                case "cx_connect_fail" -> host.connectFailures = count;
                default -> {
                    // Not read by the router.
                }
            }
        }
    }
}
