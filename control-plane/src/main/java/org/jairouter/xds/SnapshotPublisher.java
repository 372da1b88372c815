package org.jairouter.xds;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Message;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.controlplane.cache.VersionedResource;
import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
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
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.jairouter.translate.EnvoyResources;
import org.jairouter.translate.FleetEndpoints;
import org.jairouter.xds.VersionedSnapshot.Versioned;

/**
 * Turns Envoy resources into a snapshot that every connected Envoy receives. Each resource type is
 * versioned by a digest of its content, so Envoy is sent only the types that really changed: an
 * instance edit travels by EDS alone and never touches clusters, routes or the listener (a changed
 * cluster, though, takes its assignment along). Each resource carries its own digest as its delta xDS
 * version; one equal to a resource published last time keeps its digest: a reload serializes only what
 * changed.
 *
 * <p>A cluster the config no longer has is published on, with its assignment, until the router {@link
 * #retire retires} it once every Envoy has taken the routes that no longer lead to it: Envoy applies the
 * types as they arrive, and a cluster removed before the route that named it answers that route's
 * requests 503 (a run saw it on every removal under load), where the route's removal answers 404.
 */
public final class SnapshotPublisher {
    /** Every Envoy node gets the same config. */
    static final String GROUP = "jairouter";

    private final SimpleCache<String> cache = new SimpleCache<>(node -> GROUP);
    private volatile Map<String, String> typeVersions = Map.of();
    /**
     * The digest of each resource (and each route of the route table) published last time, found by
     * content (protobuf equals and hashCode).
     */
    private Map<Object, Digest> digests = Map.of();
    /** Every cluster published last time, by name, and the assignments published with them. */
    private Map<String, Cluster> lastClusters = Map.of();

    private Map<String, ClusterLoadAssignment> lastAssignments = Map.of();
    /** Clusters the config dropped, still published, each with the publish that dropped it. */
    private Map<String, Lingering> lingering = Map.of();

    private long publishes;

    /** A dropped cluster kept for the routes that may still name it, and since which publish. */
    private record Lingering(Cluster cluster, ClusterLoadAssignment assignment, long since) {}

    public SimpleCache<String> cache() {
        return cache;
    }

    /**
     * Publishes the resources and returns the version that identifies them.
     *
     * @param envoys the Envoys connected: the size of the local cluster that divides rate limits among them
     */
    public synchronized String publish(EnvoyResources resources, int envoys) {
        publishes++;
        lingering = lingerOn(resources.clusters());
        List<Cluster> allClusters = new ArrayList<>(resources.clusters());
        List<ClusterLoadAssignment> withFleet = new ArrayList<>(resources.endpoints());
        lingering.values().forEach(dropped -> {
            allClusters.add(dropped.cluster());
            if (dropped.assignment() != null) {
                withFleet.add(dropped.assignment());
            }
        });
        withFleet.add(FleetEndpoints.of(envoys));
        // By name: a type's version must not change with the order alone (a lingering cluster comes last), or
        // Envoy, sent nothing new, would never acknowledge it.
        allClusters.sort(Comparator.comparing(Cluster::getName));
        withFleet.sort(Comparator.comparing(ClusterLoadAssignment::getClusterName));
        lastClusters = allClusters.stream().collect(Collectors.toUnmodifiableMap(Cluster::getName, cluster -> cluster));
        lastAssignments = withFleet.stream()
                .collect(Collectors.toUnmodifiableMap(
                        ClusterLoadAssignment::getClusterName, assignment -> assignment, (first, same) -> first));
        Map<Object, Digest> published = new HashMap<>();
        Map<String, Digest> clusterDigests = new HashMap<>();
        Versioned<Cluster> clusters = versioned(allClusters, published, cluster -> null);
        clusters.items()
                .forEach(
                        cluster -> clusterDigests.put(cluster.resource().getName(), published.get(cluster.resource())));
        // Envoy re-creates a cluster that changed, and the new one warms until it is sent its assignment:
        // unsent, because unchanged, it would wait for the initial fetch timeout (15 s).
        Versioned<ClusterLoadAssignment> endpoints =
                versioned(withFleet, published, assignment -> clusterDigests.get(assignment.getClusterName()));
        Versioned<Listener> listeners = versioned(resources.listeners(), published, listener -> null);
        Versioned<RouteConfiguration> routes = versioned(resources.routes(), published, table -> null);
        cache.setSnapshot(GROUP, new VersionedSnapshot(clusters, endpoints, listeners, routes));
        // The version names the config: the same config gets the same one whatever the fleet's size and
        // whatever clusters linger.
        String configClusters = digest(resources.clusters(), published);
        typeVersions = Map.of(
                Resources.V3.CLUSTER_TYPE_URL,
                clusters.version(),
                Resources.V3.ENDPOINT_TYPE_URL,
                endpoints.version(),
                Resources.V3.LISTENER_TYPE_URL,
                listeners.version(),
                Resources.V3.ROUTE_TYPE_URL,
                routes.version());
        String configEndpoints = digest(resources.endpoints(), published);
        digests = published;
        return digest(List.of(configClusters, configEndpoints, listeners.version(), routes.version()), new HashMap<>());
    }

    /**
     * The number of the last publish: a dropped cluster lingers from the publish that dropped it until
     * {@link #retire} is given that number or a later one.
     */
    public synchronized long publishes() {
        return publishes;
    }

    /** True while a cluster the config dropped is still published. */
    public synchronized boolean hasLingering() {
        return !lingering.isEmpty();
    }

    /**
     * Stops publishing the clusters dropped up to that publish, from the next publish on: call it once
     * every Envoy has taken that publish's routes and listeners, which no longer name them.
     */
    public synchronized void retire(long upToPublish) {
        Map<String, Lingering> still = new HashMap<>(lingering);
        still.values().removeIf(dropped -> dropped.since() <= upToPublish);
        Map<String, Cluster> kept = new HashMap<>(lastClusters);
        lingering.keySet().stream().filter(name -> !still.containsKey(name)).forEach(kept::remove);
        lingering = Map.copyOf(still);
        lastClusters = Map.copyOf(kept);
    }

    /** The clusters published last time that this config no longer has (and those lingering already). */
    private Map<String, Lingering> lingerOn(List<Cluster> configClusters) {
        Set<String> names = configClusters.stream().map(Cluster::getName).collect(Collectors.toSet());
        Map<String, Lingering> next = new HashMap<>();
        lastClusters.forEach((name, cluster) -> {
            if (!names.contains(name)) {
                Lingering already = lingering.get(name);
                next.put(
                        name, already != null ? already : new Lingering(cluster, lastAssignments.get(name), publishes));
            }
        });
        return Map.copyOf(next);
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

    /**
     * Each item with its own version (its digest, and that of what it {@code dependsOn} where that is
     * not null), and the version of them all; each item's digest is recorded in {@code published}.
     */
    private <T extends Message> Versioned<T> versioned(
            List<T> items, Map<Object, Digest> published, Function<T, Digest> dependsOn) {
        MessageDigest sha = sha256();
        List<VersionedResource<T>> versioned = new ArrayList<>(items.size());
        for (T item : items) {
            Digest own = digestOf(item, published);
            Digest also = dependsOn.apply(item);
            sha.update(own.bytes());
            if (also != null) {
                sha.update(also.bytes());
            }
            versioned.add(VersionedResource.create(item, also == null ? own.hex() : own.hex() + also.hex()));
        }
        return new Versioned<>(versioned, HexFormat.of().formatHex(sha.digest(), 0, 8));
    }

    /** The digest of a list of items from theirs; each item's own digest is recorded in {@code published}. */
    private String digest(List<?> items, Map<Object, Digest> published) {
        MessageDigest sha = sha256();
        for (Object item : items) {
            sha.update(digestOf(item, published).bytes());
        }
        return HexFormat.of().formatHex(sha.digest(), 0, 8);
    }

    private Digest digestOf(Object item, Map<Object, Digest> published) {
        Digest known = published.get(item);
        if (known == null) {
            known = digests.get(item);
        }
        if (known == null) {
            known = Digest.of(
                    item instanceof RouteConfiguration table
                            ? routeTableDigest(table, published)
                            : sha256().digest(
                                            item instanceof Message message
                                                    ? deterministicBytes(message)
                                                    : item.toString().getBytes(StandardCharsets.UTF_8)));
        }
        published.put(item, known);
        return known;
    }

    /** A resource's digest, and its first bytes as text: the resource's version in delta xDS. */
    private record Digest(byte[] bytes, String hex) {
        static Digest of(byte[] bytes) {
            return new Digest(bytes, HexFormat.of().formatHex(bytes, 0, 8));
        }
    }

    /**
     * A route table from its routes' own digests and the rest of it: the translator hands back the same
     * Route objects for every service an edit did not touch, so only the changed routes are serialized
     * (at 10,000 instances, re-serializing the whole table was a sixth of an edit's CPU).
     */
    private byte[] routeTableDigest(RouteConfiguration table, Map<Object, Digest> published) {
        MessageDigest sha = sha256();
        RouteConfiguration.Builder withoutRoutes = table.toBuilder();
        for (VirtualHost.Builder host : withoutRoutes.getVirtualHostsBuilderList()) {
            sha.update(ByteBuffer.allocate(Integer.BYTES)
                    .putInt(host.getRoutesCount())
                    .array());
            for (Route route : host.getRoutesList()) {
                sha.update(digestOf(route, published).bytes());
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
