package org.jairouter.xds;

import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The ADS gRPC server Envoy connects to. Logs each Envoy that connects and every config it rejects. */
public final class XdsServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(XdsServer.class);
    private final Server server;

    private XdsServer(Server server) {
        this.server = server;
    }

    public static XdsServer start(SnapshotPublisher publisher, String address, int port) throws IOException {
        V3DiscoveryServer discovery = new V3DiscoveryServer(new RejectionLogger(), publisher.cache());
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

    /** A request that carries error_detail is Envoy rejecting (NACKing) the config it was last sent. */
    private static final class RejectionLogger implements DiscoveryServerCallbacks {
        @Override
        public void onV3StreamRequest(long streamId, DiscoveryRequest request) {
            if (request.hasErrorDetail()) {
                LOG.error("Envoy {} rejected {} version {}: {}", request.getNode().getId(),
                        request.getTypeUrl(), request.getResponseNonce(), request.getErrorDetail().getMessage());
            }
        }

        @Override
        public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) {
            // The bootstrap asks for state-of-the-world ADS only.
        }

        @Override
        public void onStreamOpen(long streamId, String typeUrl) {
            LOG.debug("xDS stream {} opened", streamId);
        }
    }
}
