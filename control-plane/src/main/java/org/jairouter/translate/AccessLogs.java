package org.jairouter.translate;

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.protobuf.Struct;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.accesslog.v3.AccessLog;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.config.core.v3.SubstitutionFormatString;
import io.envoyproxy.envoy.extensions.access_loggers.file.v3.FileAccessLog;
import io.envoyproxy.envoy.extensions.access_loggers.grpc.v3.CommonGrpcAccessLogConfig;
import io.envoyproxy.envoy.extensions.access_loggers.open_telemetry.v3.OpenTelemetryAccessLogConfig;
import io.opentelemetry.proto.common.v1.AnyValue;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jairouter.config.Monitoring;

/**
 * The listener's access logs: the record of {@link AccessLogFields}, sent to the control plane as OTLP logs
 * (the fields it reads; it makes the metrics of them) and, if configured, written whole as JSON lines. Envoy batches the records and
 * sends them off the request path: when the control plane is away they are dropped, the traffic is not held.
 * OTLP rather than Envoy's own access-log service because its attributes are command operators, which give
 * the first response body byte (the first token) and the usage metadata by the same names as the JSON log.
 */
final class AccessLogs {
    /** Also the log_name Envoy sends, by which the control plane knows the records. */
    static final String LOG_NAME = "jairouter.requests";

    /**
     * Each batch is one gRPC call, which costs both sides far more than the records in it: at Envoy's
     * default 16 KiB a batch held ~200 records, at 1 MiB the flush interval sends first (~3,400 per batch
     * at 3,400 requests/s on 2 workers). Envoy sends at least every {@link #FLUSH_INTERVAL}.
     */
    private static final int BUFFER_BYTES = 1024 * 1024;

    private static final Duration FLUSH_INTERVAL = Protos.seconds(1);

    private AccessLogs() {}

    /**
     * @param keysEnforced whether records carry the client key's id (without keys it is never set)
     * @param lowPriority  whether records carry the instance behind a low-priority gate (set only there)
     */
    static List<AccessLog> accessLogs(Monitoring monitoring, boolean keysEnforced, boolean lowPriority) {
        Map<String, String> fields = fields(keysEnforced, lowPriority);
        List<AccessLog> logs = new ArrayList<>();
        if (monitoring.enabled()) {
            logs.add(AccessLog.newBuilder()
                    .setName("envoy.access_loggers.open_telemetry")
                    .setTypedConfig(toControlPlane(fields))
                    .build());
        }
        monitoring
                .accessLogPath()
                .ifPresent(path -> logs.add(AccessLog.newBuilder()
                        .setName("envoy.access_loggers.file")
                        .setTypedConfig(Any.pack(FileAccessLog.newBuilder()
                                .setPath(path)
                                .setLogFormat(
                                        SubstitutionFormatString.newBuilder().setJsonFormat(jsonFormat(fields)))
                                .build()))
                        .build()));
        return logs;
    }

    private static Map<String, String> fields(boolean keysEnforced, boolean lowPriority) {
        Map<String, String> fields = new LinkedHashMap<>(AccessLogFields.OPERATORS);
        if (!keysEnforced) {
            fields.remove(AccessLogFields.KEY_ID);
        }
        if (!lowPriority) {
            fields.remove(AccessLogFields.GATED_INSTANCE);
        }
        return fields;
    }

    private static Struct jsonFormat(Map<String, String> fields) {
        Struct.Builder format = Struct.newBuilder();
        fields.forEach((name, operator) -> format.putFields(name, Protos.string(operator)));
        return format.build();
    }

    /**
     * Through {@code common_config}, which 1.40 deprecates for top-level {@code grpc_service}, {@code log_name}
     * and buffer fields: with those, 1.40 ignores the buffer fields (a batch held ~200 records, Envoy's 16 KiB
     * default, whether they said 4 KiB or 1 MiB), while common_config's are in effect (~3,400 per batch at
     * 1 MiB, flushed by the interval). The price is one deprecation warning in Envoy's log per config.
     */
    private static Any toControlPlane(Map<String, String> fields) {
        return Any.pack(OpenTelemetryAccessLogConfig.newBuilder()
                .setCommonConfig(grpcConfig(LOG_NAME, FLUSH_INTERVAL))
                // One text rather than an attribute per field: Envoy then runs one formatter and builds one
                // value per record instead of ten, which cost it about a third of its CPU per small request
                // more than the record's content (bench step 12-config-cost).
                .setBody(AnyValue.newBuilder().setStringValue(AccessLogFields.recordFormat(fields)))
                .build());
    }

    /** To the control plane over the connection Envoy gets its config on, sent at least every {@code flush}. */
    static CommonGrpcAccessLogConfig grpcConfig(String logName, Duration flush) {
        return CommonGrpcAccessLogConfig.newBuilder()
                .setLogName(logName)
                .setGrpcService(GrpcService.newBuilder()
                        .setEnvoyGrpc(GrpcService.EnvoyGrpc.newBuilder().setClusterName(Names.CONTROL_PLANE_CLUSTER)))
                .setTransportApiVersion(ApiVersion.V3)
                .setBufferFlushInterval(flush)
                .setBufferSizeBytes(UInt32Value.of(BUFFER_BYTES))
                .build();
    }
}
