package org.jairouter.translate;

import com.google.protobuf.Any;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsParameters;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import java.util.Map;

/**
 * TLS to https instances. One model may mix http and https instances, so the cluster chooses the
 * transport per endpoint: endpoints whose metadata says {@code tls: true} get TLS with the server
 * certificate verified against the CA bundle; the others stay plain.
 */
final class UpstreamTls {
    static final String MATCH_KEY = "tls";

    private UpstreamTls() {
    }

    static void apply(Cluster.Builder cluster, String caFile) {
        UpstreamTlsContext context = UpstreamTlsContext.newBuilder()
                .setCommonTlsContext(CommonTlsContext.newBuilder()
                        // Envoy's default maximum is TLS 1.2.
                        .setTlsParams(TlsParameters.newBuilder()
                                .setTlsMaximumProtocolVersion(TlsParameters.TlsProtocol.TLSv1_3))
                        .setValidationContext(CertificateValidationContext.newBuilder()
                                .setTrustedCa(DataSource.newBuilder().setFilename(caFile))))
                .build();
        cluster.addTransportSocketMatches(Cluster.TransportSocketMatch.newBuilder()
                .setName("https")
                .setMatch(Struct.newBuilder().putAllFields(Map.of(MATCH_KEY, Value.newBuilder().setBoolValue(true).build())))
                .setTransportSocket(TransportSocket.newBuilder()
                        .setName("envoy.transport_sockets.tls")
                        .setTypedConfig(Any.pack(context))));
    }
}
