package org.jairouter.translate;

/** Where Envoy reaches the control plane's status server: an IP address or a host name. */
public record StatusEndpoint(String host, int port) {}
