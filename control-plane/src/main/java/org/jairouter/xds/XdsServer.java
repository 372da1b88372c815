package org.jairouter.xds;

import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The ADS gRPC server Envoys connect to. Tracks who is connected and logs every config an Envoy rejects. */
public final class XdsServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(XdsServer.class);
    private final Server server;

    private XdsServer(Server server) {
        this.server = server;
    }

    public static XdsServer start(SnapshotPublisher publisher, EnvoyFleet fleet, String address, int port)
            throws IOException {
        V3DiscoveryServer discovery = new V3DiscoveryServer(new FleetTracker(fleet), publisher.cache());
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress(address, port))
                .addService(discovery.getAggregatedDiscoveryServiceImpl())
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
     * A request that carries error_detail is Envoy rejecting (NACKing) the config it was last sent. The
     * bootstrap asks for delta (incremental) ADS; an Envoy started from an older bootstrap may still speak
     * state-of-the-world, and both are tracked alike.
     */
    private record FleetTracker(EnvoyFleet fleet) implements DiscoveryServerCallbacks {
        @Override
        public void onV3StreamRequest(long streamId, DiscoveryRequest request) {
            track(streamId, request.hasNode() ? request.getNode() : null, request.getTypeUrl(),
                    request.hasErrorDetail() ? request.getErrorDetail().getMessage() : null);
        }

        @Override
        public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) {
            track(streamId, request.hasNode() ? request.getNode() : null, request.getTypeUrl(),
                    request.hasErrorDetail() ? request.getErrorDetail().getMessage() : null);
        }

        private void track(long streamId, Node node, String typeUrl, String rejection) {
            if (node != null) {
                fleet.connected(streamId, node);
            }
            if (rejection != null) {
                String type = typeUrl.substring(typeUrl.lastIndexOf('.') + 1);
                LOG.error("Envoy {} rejected the {} config it was sent: {}", fleet.rejected(streamId, type, rejection),
                        type, rejection);
            }
        }

        @Override
        public void onStreamClose(long streamId, String typeUrl) {
            fleet.disconnected(streamId);
        }

        @Override
        public void onStreamCloseWithError(long streamId, String typeUrl, Throwable error) {
            fleet.disconnected(streamId);
        }
    }
}
