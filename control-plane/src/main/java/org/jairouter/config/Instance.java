package org.jairouter.config;

/**
 * One backend serving one model.
 *
 * @param model        the model name requests ask for (JAiRouter's {@code name})
 * @param host         host name or IP literal of the base-url
 * @param port         port of the base-url (defaulted from its scheme)
 * @param upstreamPath the full path the backend is called on: base-url path prefix + instance path
 * @param weight       relative share of traffic, at least 1
 * @param baseUrl      the base-url as written, for status and logs
 * @param active       false for {@code status: inactive}: kept in the config, sent no traffic
 */
public record Instance(String model, String host, int port, String upstreamPath, int weight, String baseUrl,
                       boolean active) {
    /** host[:port] as a Host header names it: the port only when it is not the scheme's default. */
    public String authority() {
        return port == 80 ? host : host + ":" + port;
    }
}
