package org.jairouter.xds;

import com.google.protobuf.Message;
import io.envoyproxy.controlplane.cache.Resources.ResourceType;
import io.envoyproxy.controlplane.cache.SnapshotResources;
import io.envoyproxy.controlplane.cache.VersionedResource;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import java.util.List;
import java.util.Map;

/**
 * A snapshot whose resources carry the versions the publisher chose, where {@link Snapshot#create}
 * would version each by a hash of its content. Delta xDS sends a resource when its version differs
 * from the one the Envoy holds, so the version is how the publisher says what must travel.
 */
final class VersionedSnapshot extends Snapshot {
    private static final SnapshotResources<Secret> NO_SECRETS = SnapshotResources.create(List.of(), "none");

    private final SnapshotResources<Cluster> clusters;
    private final SnapshotResources<ClusterLoadAssignment> endpoints;
    private final SnapshotResources<Listener> listeners;
    private final SnapshotResources<RouteConfiguration> routes;

    VersionedSnapshot(
            Versioned<Cluster> clusters,
            Versioned<ClusterLoadAssignment> endpoints,
            Versioned<Listener> listeners,
            Versioned<RouteConfiguration> routes) {
        this.clusters = clusters.resources();
        this.endpoints = endpoints.resources();
        this.listeners = listeners.resources();
        this.routes = routes.resources();
    }

    /** Resources of one type, each with its own version, and the version of the type as a whole. */
    record Versioned<T extends Message>(List<VersionedResource<T>> items, String version) {
        SnapshotResources<T> resources() {
            return SnapshotResources.create(items, version);
        }
    }

    @Override
    public SnapshotResources<Cluster> clusters() {
        return clusters;
    }

    @Override
    public SnapshotResources<ClusterLoadAssignment> endpoints() {
        return endpoints;
    }

    @Override
    public SnapshotResources<Listener> listeners() {
        return listeners;
    }

    @Override
    public SnapshotResources<RouteConfiguration> routes() {
        return routes;
    }

    @Override
    public SnapshotResources<Secret> secrets() {
        return NO_SECRETS;
    }

    /**
     * The inherited method, declared again raw: its two generic declarations (base class and v3) do not
     * agree, which javac accepts from the library's own generated subclass but not from ours.
     */
    @Override
    @SuppressWarnings("rawtypes")
    public Map versionedResources(ResourceType type) {
        return super.versionedResources(type);
    }
}
