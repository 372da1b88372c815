package org.jairouter.xds;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Message;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.jairouter.translate.EnvoyResources;
import org.jairouter.translate.FleetEndpoints;

/**
 * Turns Envoy resources into a snapshot that every connected Envoy receives. Each resource type is
 * versioned by a digest of its content, so Envoy is sent only the types that really changed: an
 * instance edit travels by EDS alone and never touches clusters, routes or the listener. A resource
 * equal to one published last time keeps its digest: a reload serializes only what changed.
 */
public final class SnapshotPublisher {
    /** Every Envoy node gets the same config. */
    static final String GROUP = "jairouter";

    private final SimpleCache<String> cache = new SimpleCache<>(node -> GROUP);
    private volatile Map<String, String> typeVersions = Map.of();
    /** What the last publish carried, sent again with a new fleet size; null before the first. */
    private EnvoyResources lastResources;
    /** Envoys connected: the size of the local cluster that divides rate limits among them. */
    private int fleetSize;
    /**
     * The digest of each resource (and each route of the route table) published last time, found by
     * content (protobuf equals and hashCode).
     */
    private Map<Object, byte[]> digests = Map.of();

    public SimpleCache<String> cache() {
        return cache;
    }

    /** Publishes the resources and returns the version that identifies them. */
    public synchronized String publish(EnvoyResources resources) {
        lastResources = resources;
        List<ClusterLoadAssignment> withFleet = new ArrayList<>(resources.endpoints());
        withFleet.add(FleetEndpoints.of(fleetSize));
        Map<Object, byte[]> published = new HashMap<>();
        String clusters = digest(resources.clusters(), published);
        String endpoints = digest(withFleet, published);
        String listeners = digest(resources.listeners(), published);
        String routes = digest(resources.routes(), published);
        Snapshot snapshot = Snapshot.create(
                resources.clusters(),
                clusters,
                withFleet,
                endpoints,
                resources.listeners(),
                listeners,
                resources.routes(),
                routes,
                List.of(),
                "none");
        cache.setSnapshot(GROUP, snapshot);
        typeVersions = Map.of(
                Resources.V3.CLUSTER_TYPE_URL,
                clusters,
                Resources.V3.ENDPOINT_TYPE_URL,
                endpoints,
                Resources.V3.LISTENER_TYPE_URL,
                listeners,
                Resources.V3.ROUTE_TYPE_URL,
                routes);
        // The version names the config: the same config gets the same one whatever the fleet's size.
        String configEndpoints = digest(resources.endpoints(), published);
        digests = published;
        return digest(List.of(clusters, configEndpoints, listeners, routes), new HashMap<>());
    }

    /**
     * Publishes the last resources again when the number of connected Envoys changed: only EDS moves.
     * Returns true when it published (never before the first config: Envoys wait for that one).
     */
    public synchronized boolean fleetChanged(int envoys) {
        if (envoys == fleetSize) {
            return false;
        }
        fleetSize = envoys;
        if (lastResources == null) {
            return false;
        }
        publish(lastResources);
        return true;
    }

    /** The version of each resource type (by type URL) last published: what an Envoy acknowledges. */
    public Map<String, String> typeVersions() {
        return typeVersions;
    }

    /** Map entries (Struct fields) in key order, so equal content always digests alike. */
    private static byte[] deterministicBytes(Message message) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            CodedOutputStream out = CodedOutputStream.newInstance(bytes);
            out.useDeterministicSerialization();
            message.writeTo(out);
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The digest of a list of items from theirs; each item's own digest is recorded in {@code published}. */
    private String digest(List<?> items, Map<Object, byte[]> published) {
        MessageDigest sha = sha256();
        for (Object item : items) {
            sha.update(digestOf(item, published));
        }
        return HexFormat.of().formatHex(sha.digest(), 0, 8);
    }

    private byte[] digestOf(Object item, Map<Object, byte[]> published) {
        byte[] known = published.get(item);
        if (known == null) {
            known = digests.get(item);
        }
        if (known == null) {
            known = item instanceof RouteConfiguration table
                    ? routeTableDigest(table, published)
                    : sha256().digest(
                                    item instanceof Message message
                                            ? deterministicBytes(message)
                                            : item.toString().getBytes(StandardCharsets.UTF_8));
        }
        published.put(item, known);
        return known;
    }

    /**
     * A route table from its routes' own digests and the rest of it: the translator hands back the same
     * Route objects for every service an edit did not touch, so only the changed routes are serialized
     * (at 10,000 instances, re-serializing the whole table was a sixth of an edit's CPU).
     */
    private byte[] routeTableDigest(RouteConfiguration table, Map<Object, byte[]> published) {
        MessageDigest sha = sha256();
        RouteConfiguration.Builder withoutRoutes = table.toBuilder();
        for (VirtualHost.Builder host : withoutRoutes.getVirtualHostsBuilderList()) {
            sha.update(ByteBuffer.allocate(Integer.BYTES)
                    .putInt(host.getRoutesCount())
                    .array());
            for (Route route : host.getRoutesList()) {
                sha.update(digestOf(route, published));
            }
            host.clearRoutes();
        }
        sha.update(deterministicBytes(withoutRoutes.build()));
        return sha.digest();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
