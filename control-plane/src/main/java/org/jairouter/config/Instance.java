package org.jairouter.config;

import java.net.URI;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * One backend serving one model, or, with {@code models: auto}, every model its server lists.
 *
 * @param model        the model name requests ask for (JAiRouter's {@code name}); empty for a discovering instance
 * @param host         host name or IP literal of the base-url
 * @param port         port of the base-url (defaulted from its scheme)
 * @param upstreamPath the full path the backend is called on: base-url path prefix + instance path
 * @param weight       relative share of traffic, at least 1
 * @param baseUrl      the base-url as written, for status and logs
 * @param active       false for {@code status: inactive}: kept in the config, sent no traffic
 * @param headers      headers Envoy adds to every request to this instance (lower-case names), such as
 *                     its API key; they replace a client's header of the same name
 * @param tls          true for an https base-url: Envoy verifies the server's certificate
 * @param adapter      the kind of backend, for its health-check path
 * @param discovering  true for {@code models: auto}: the router model makes it one instance per model its server
 *                     lists ({@link org.jairouter.ir.RouterIr#of(RouterConfig, org.jairouter.ir.DiscoveredModels)})
 * @param paths        the instance's own paths of its service's other APIs ({@code paths}), under its base-url as
 *                     {@code path} is; each replaces its adapter's path, and serves the API where the adapter does not
 */
public record Instance(
        String model,
        String host,
        int port,
        String upstreamPath,
        int weight,
        String baseUrl,
        boolean active,
        Map<String, Secret> headers,
        boolean tls,
        Adapter adapter,
        boolean discovering,
        Map<ExtraEndpoint, String> paths) {
    public Instance {
        headers = Collections.unmodifiableMap(new TreeMap<>(headers));
        paths = paths.isEmpty() ? Map.of() : Collections.unmodifiableMap(new EnumMap<>(paths));
    }

    /** Starts an instance: model, host, port, upstream path and base-url must be set; the rest default as in the config. */
    public static Builder builder() {
        return new Builder();
    }

    /** Names each field at the call site; unset fields keep the config's defaults. */
    public static final class Builder {
        private String model;
        private String host;
        private int port;
        private String upstreamPath;
        private int weight = 1;
        private String baseUrl;
        private boolean active = true;
        private Map<String, Secret> headers = Map.of();
        private boolean tls;
        private Adapter adapter = Adapter.NORMAL;
        private boolean discovering;
        private Map<ExtraEndpoint, String> paths = Map.of();

        private Builder() {}

        public Builder model(String model) {
            this.model = model;
            return this;
        }

        public Builder host(String host) {
            this.host = host;
            return this;
        }

        public Builder port(int port) {
            this.port = port;
            return this;
        }

        public Builder upstreamPath(String upstreamPath) {
            this.upstreamPath = upstreamPath;
            return this;
        }

        public Builder weight(int weight) {
            this.weight = weight;
            return this;
        }

        public Builder baseUrl(String baseUrl) {
            this.baseUrl = baseUrl;
            return this;
        }

        public Builder active(boolean active) {
            this.active = active;
            return this;
        }

        public Builder headers(Map<String, Secret> headers) {
            this.headers = headers;
            return this;
        }

        public Builder tls(boolean tls) {
            this.tls = tls;
            return this;
        }

        public Builder adapter(Adapter adapter) {
            this.adapter = adapter;
            return this;
        }

        public Builder paths(Map<ExtraEndpoint, String> paths) {
            this.paths = paths;
            return this;
        }

        /** {@code models: auto}: the model is left empty, the server's list names them. */
        public Builder discovering() {
            this.discovering = true;
            this.model = "";
            return this;
        }

        public Instance build() {
            return new Instance(
                    Objects.requireNonNull(model, "model"),
                    Objects.requireNonNull(host, "host"),
                    port,
                    Objects.requireNonNull(upstreamPath, "upstreamPath"),
                    weight,
                    Objects.requireNonNull(baseUrl, "baseUrl"),
                    active,
                    headers,
                    tls,
                    adapter,
                    discovering,
                    paths);
        }
    }

    /** This instance serving one model its server listed: what a discovering instance is made into. */
    public Instance serving(String listedModel) {
        return new Instance(
                listedModel, host, port, upstreamPath, weight, baseUrl, active, headers, tls, adapter, false, paths);
    }

    /** This instance with another share of traffic. */
    public Instance withWeight(int otherWeight) {
        return new Instance(
                model,
                host,
                port,
                upstreamPath,
                otherWeight,
                baseUrl,
                active,
                headers,
                tls,
                adapter,
                discovering,
                paths);
    }

    /** The model as the operator wrote it, for logs and warnings: its name, or {@code models: auto}. */
    public String modelAsWritten() {
        return discovering ? "models: auto" : model;
    }

    /** The base-url's path prefix, without a trailing slash ("" for none). */
    public String basePath() {
        String path = URI.create(baseUrl).getRawPath();
        return path == null ? "" : path.replaceAll("/+$", "");
    }

    /**
     * The path the instance serves an extra API on, under its base-url: its own ({@code paths}), else its
     * adapter's (the API's public path); empty if neither serves it.
     */
    public Optional<String> upstreamPath(ExtraEndpoint endpoint) {
        String own = paths.get(endpoint);
        if (own != null) {
            return Optional.of(basePath() + own);
        }
        return adapter.serves(endpoint) ? Optional.of(basePath() + endpoint.publicPath()) : Optional.empty();
    }

    /** host[:port] as a Host header names it: the port only when it is not the scheme's default. */
    public String authority() {
        return port == (tls ? 443 : 80) ? host : host + ":" + port;
    }
}
