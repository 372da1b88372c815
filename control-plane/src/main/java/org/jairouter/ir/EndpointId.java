package org.jairouter.ir;

import org.jairouter.config.Instance;

/** Where Envoy reports an instance: the endpoint with this hostname in this cluster. */
public record EndpointId(String cluster, String hostname) {

    /**
     * The hostname Envoy is given for the instance's endpoint, under which its admin also reports it;
     * the route's auto_host_rewrite sends it as the Host header, so it is the backend's own authority.
     */
    public static String hostname(Instance instance) {
        return instance.authority();
    }

    static EndpointId of(String cluster, Instance instance) {
        return new EndpointId(cluster, hostname(instance));
    }
}
