package org.jairouter.xds;

import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ADS gRPC server Envoys connect to. Tracks who is connected and what each accepted, and logs every
 * config an Envoy rejects.
 */
public final class XdsServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(XdsServer.class);
    private final Server server;

    private XdsServer(Server server) {
        this.server = server;
    }

    /** Serves ADS, and beside it {@code requestRecords}, which receives what the Envoys report about requests. */
    public static XdsServer start(
            SnapshotPublisher publisher, EnvoyFleet fleet, BindableService requestRecords, String address, int port)
            throws IOException {
        V3DiscoveryServer discovery = new V3DiscoveryServer(new FleetTracker(fleet), publisher.cache());
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress(address, port))
                .addService(discovery.getAggregatedDiscoveryServiceImpl())
                .addService(requestRecords)
                .build()
                .start();
        LOG.info("xDS server listening on {}:{}", address, server.getPort());
        return new XdsServer(server);
    }

    public int port() {
        return server.getPort();
    }

    @Override
    public void close() throws InterruptedException {
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
    }

    /**
     * A request that carries error_detail is Envoy rejecting (NACKing) the config it was last sent; one
     * without acknowledges (ACKs) it. The bootstrap asks for delta (incremental) ADS; an Envoy started from
     * an older bootstrap may still speak state-of-the-world, and both are tracked alike. A state-of-the-world
     * ACK names the version it applied; a delta ACK names the nonce of the response it applied, whose
     * version this tracker noted when it was sent.
     */
    private static final class FleetTracker implements DiscoveryServerCallbacks {
        /** Delta responses sent and not yet answered, by stream and nonce: (type URL, version). */
        private final Map<String, String[]> sentByNonce = new HashMap<>();
        /**
         * Nonces Envoy acknowledged before the response callback noted them: the response may reach
         * Envoy, and its ACK come back, before the server calls us about having sent it.
         */
        private final Set<String> ackedBeforeNoted = new HashSet<>();

        private final EnvoyFleet fleet;

        FleetTracker(EnvoyFleet fleet) {
            this.fleet = fleet;
        }

        @Override
        public void onV3StreamRequest(long streamId, DiscoveryRequest request) {
            String rejection = track(
                    streamId,
                    request.hasNode() ? request.getNode() : null,
                    request.getTypeUrl(),
                    request.hasErrorDetail() ? request.getErrorDetail().getMessage() : null);
            if (rejection == null && !request.getVersionInfo().isEmpty()) {
                fleet.accepted(streamId, request.getTypeUrl(), request.getVersionInfo());
            }
        }

        @Override
        public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) {
            String rejection = track(
                    streamId,
                    request.hasNode() ? request.getNode() : null,
                    request.getTypeUrl(),
                    request.hasErrorDetail() ? request.getErrorDetail().getMessage() : null);
            if (request.getResponseNonce().isEmpty()) {
                return;
            }
            String key = streamId + "/" + request.getResponseNonce();
            String[] sent;
            synchronized (this) {
                sent = sentByNonce.remove(key);
                if (sent == null && rejection == null) {
                    ackedBeforeNoted.add(key);
                }
            }
            if (rejection == null && sent != null) {
                fleet.accepted(streamId, sent[0], sent[1]);
            }
        }

        @Override
        public void onV3StreamDeltaResponse(
                long streamId, DeltaDiscoveryRequest request, DeltaDiscoveryResponse response) {
            String key = streamId + "/" + response.getNonce();
            boolean acked;
            synchronized (this) {
                acked = ackedBeforeNoted.remove(key);
                if (!acked) {
                    sentByNonce.put(key, new String[] {response.getTypeUrl(), response.getSystemVersionInfo()});
                }
            }
            if (acked) {
                fleet.accepted(streamId, response.getTypeUrl(), response.getSystemVersionInfo());
            }
        }

        /** Notes the node and any rejection; returns the rejection's message, or null for none. */
        private String track(long streamId, Node node, String typeUrl, String rejection) {
            if (node != null) {
                fleet.connected(streamId, node);
            }
            if (rejection != null) {
                String type = typeUrl.substring(typeUrl.lastIndexOf('.') + 1);
                LOG.error(
                        "Envoy {} rejected the {} config it was sent: {}",
                        fleet.rejected(streamId, type, rejection),
                        type,
                        rejection);
            }
            return rejection;
        }

        @Override
        public void onStreamClose(long streamId, String typeUrl) {
            closed(streamId);
        }

        @Override
        public void onStreamCloseWithError(long streamId, String typeUrl, Throwable error) {
            closed(streamId);
        }

        private void closed(long streamId) {
            fleet.disconnected(streamId);
            synchronized (this) {
                sentByNonce.keySet().removeIf(key -> key.startsWith(streamId + "/"));
                ackedBeforeNoted.removeIf(key -> key.startsWith(streamId + "/"));
            }
        }
    }
}
