package org.jairouter.xds;

import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
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
    public static XdsServer start(SnapshotPublisher publisher, EnvoyFleet fleet, BindableService requestRecords,
                                  String address, int port) throws IOException {
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

    /** A request that carries error_detail is Envoy rejecting (NACKing) the config it was last sent. */
    private record FleetTracker(EnvoyFleet fleet) implements DiscoveryServerCallbacks {
        @Override
        public void onV3StreamRequest(long streamId, DiscoveryRequest request) {
            if (request.hasNode()) {
                fleet.connected(streamId, request.getNode());
            }
            if (request.hasErrorDetail()) {
                String type = request.getTypeUrl().substring(request.getTypeUrl().lastIndexOf('.') + 1);
                String node = fleet.rejected(streamId, type, request.getErrorDetail().getMessage());
                LOG.error("Envoy {} rejected the {} config it was sent: {}", node, type,
                        request.getErrorDetail().getMessage());
            } else if (!request.getVersionInfo().isEmpty()) {
                // Without an error, the version a request names is one the Envoy has applied.
                fleet.accepted(streamId, request.getTypeUrl(), request.getVersionInfo());
            }
        }

        @Override
        public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) {
            // The bootstrap asks for state-of-the-world ADS only.
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
