package org.jairouter.translate;

import com.google.protobuf.Any;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.accesslog.v3.AccessLog;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.config.core.v3.SubstitutionFormatString;
import io.envoyproxy.envoy.extensions.access_loggers.file.v3.FileAccessLog;
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
     * Each batch is one gRPC call, which costs both sides far more than the records in it: at 64 KiB a
     * batch held ~58 records (1,112 calls for 64,226 records), at 1 MiB about 16 times as many. Envoy
     * still sends at least every {@link #FLUSH_INTERVAL}.
     */
    private static final int BUFFER_BYTES = 1024 * 1024;

    private static final String FLUSH_INTERVAL = "1s";

    private AccessLogs() {}

    /** @param keysEnforced whether records carry the client key's id (without keys it is never set) */
    static List<AccessLog> accessLogs(Monitoring monitoring, boolean keysEnforced) {
        Map<String, String> fields = fields(keysEnforced);
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

    private static Map<String, String> fields(boolean keysEnforced) {
        Map<String, String> fields = new LinkedHashMap<>(AccessLogFields.OPERATORS);
        if (!keysEnforced) {
            fields.remove(AccessLogFields.KEY_ID);
        }
        return fields;
    }

    private static Struct jsonFormat(Map<String, String> fields) {
        Struct.Builder format = Struct.newBuilder();
        fields.forEach((name, operator) -> format.putFields(name, Protos.string(operator)));
        return format.build();
    }

    /**
     * 1.40 deprecates {@code common_config}, the only transport the 1.34 classes have, for top-level
     * {@code grpc_service}, {@code log_name} and buffer fields: written as a TypedStruct.
     */
    private static Any toControlPlane(Map<String, String> fields) {
        Struct config = Struct.newBuilder()
                .putFields("log_name", Protos.string(LOG_NAME))
                .putFields(
                        "grpc_service",
                        TypedStructs.value(TypedStructs.struct(GrpcService.newBuilder()
                                .setEnvoyGrpc(GrpcService.EnvoyGrpc.newBuilder()
                                        .setClusterName(Names.CONTROL_PLANE_CLUSTER)))))
                .putFields("buffer_flush_interval", Protos.string(FLUSH_INTERVAL))
                .putFields(
                        "buffer_size_bytes",
                        Value.newBuilder().setNumberValue(BUFFER_BYTES).build())
                // One text rather than an attribute per field: Envoy then runs one formatter and builds one
                // value per record instead of ten, which cost it about a third of its CPU per small request
                // more than the record's content (bench step 12-config-cost).
                .putFields(
                        "body",
                        TypedStructs.value(TypedStructs.struct(AnyValue.newBuilder()
                                .setStringValue(AccessLogFields.recordFormat(fields))
                                .build())))
                .build();
        return TypedStructs.of(
                "envoy.extensions.access_loggers.open_telemetry.v3.OpenTelemetryAccessLogConfig", config);
    }
}
