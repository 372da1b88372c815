package org.jairouter.translate;

import com.google.protobuf.Any;
import com.google.protobuf.Struct;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsParameters;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.util.Map;
import java.util.Set;

/**
 * TLS to https instances. One model may mix http and https instances on several hosts, so the
 * cluster picks the transport per endpoint: an https endpoint's metadata names its host, and a
 * transport socket for that host sends it as SNI and requires it in the server certificate, verified
 * against the CA bundle. (Envoy's auto_sni would take the client's Host header, not the instance's.)
 * Endpoints without the metadata stay plain http.
 */
final class UpstreamTls {
    static final String MATCH_KEY = "tls_host";

    private UpstreamTls() {}

    static void apply(Cluster.Builder cluster, Set<String> hosts, String caFile) {
        for (String host : hosts) {
            cluster.addTransportSocketMatches(Cluster.TransportSocketMatch.newBuilder()
                    .setName("https:" + host)
                    .setMatch(Struct.newBuilder().putAllFields(Map.of(MATCH_KEY, Protos.string(host))))
                    .setTransportSocket(TransportSocket.newBuilder()
                            .setName("envoy.transport_sockets.tls")
                            .setTypedConfig(Any.pack(context(host, caFile)))));
        }
    }

    private static UpstreamTlsContext context(String host, String caFile) {
        boolean ipLiteral = host.matches("[0-9.]+|\\[?[0-9a-fA-F:]+]?");
        UpstreamTlsContext.Builder context = UpstreamTlsContext.newBuilder()
                .setCommonTlsContext(CommonTlsContext.newBuilder()
                        // Envoy's default maximum is TLS 1.2.
                        .setTlsParams(TlsParameters.newBuilder()
                                .setTlsMaximumProtocolVersion(TlsParameters.TlsProtocol.TLSv1_3))
                        .setValidationContext(CertificateValidationContext.newBuilder()
                                .setTrustedCa(DataSource.newBuilder().setFilename(caFile))
                                .addMatchTypedSubjectAltNames(SubjectAltNameMatcher.newBuilder()
                                        .setSanType(
                                                ipLiteral
                                                        ? SubjectAltNameMatcher.SanType.IP_ADDRESS
                                                        : SubjectAltNameMatcher.SanType.DNS)
                                        .setMatcher(StringMatcher.newBuilder()
                                                .setExact(host.replaceAll("[\\[\\]]", ""))))));
        if (!ipLiteral) {
            // SNI carries names only, never addresses.
            context.setSni(host);
        }
        return context.build();
    }
}
