package org.jairouter.envoy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.jairouter.envoy.EnvoyLogLines.Forwarded;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

/** Lines as Envoy 1.40.0 printed them on the demo config. */
class EnvoyLogLinesTest {
    private static final String PREFIX = "[2026-12-07 23:14:27.166][23978][warning][misc] ";
    private static final String DEPRECATED_COMMON_CONFIG = PREFIX
            + "[source/common/protobuf/message_validator_impl.cc:23] Deprecated field: type"
            + " envoy.extensions.access_loggers.open_telemetry.v3.OpenTelemetryAccessLogConfig Using deprecated option"
            + " 'envoy.extensions.access_loggers.open_telemetry.v3.OpenTelemetryAccessLogConfig.common_config' from"
            + " file logs_service.proto. This configuration will be removed from Envoy soon.";
    private static final String SSE_WORK_IN_PROGRESS = workInProgress(
            "envoy.extensions.filters.http.sse_to_metadata.v3.SseToMetadata",
            "envoy/extensions/filters/http/sse_to_metadata/v3/sse_to_metadata.proto");
    private static final String PARSER_WORK_IN_PROGRESS = workInProgress(
            "envoy.extensions.content_parsers.json.v3.JsonContentParser.RuleConfig",
            "envoy/extensions/content_parsers/json/v3/json_content_parser.proto");

    private static final String SIGNAL =
            "[2026-12-07 23:14:43.795][23978][warning][main] [source/server/server.cc:1028] caught ENVOY_SIGTERM";
    private static final String STREAM_CLOSED = "[2026-12-07 23:14:43.807][23978][warning][config]"
            + " [./source/extensions/config_subscription/grpc/grpc_stream.h:189] DeltaAggregatedResources gRPC config"
            + " stream to jairouter_xds closed: 13, upstream_reset_after_response_started{connection_termination}";

    private final EnvoyLogLines logLines = new EnvoyLogLines();
    private final EnvoyLogLines.ProcessOutput lines = logLines.newProcess();

    @Test
    void eachExpectedWarningIsSaidOnceWithWhatItMeans() {
        List<Forwarded> shown = List.of(
                        DEPRECATED_COMMON_CONFIG,
                        SSE_WORK_IN_PROGRESS,
                        PARSER_WORK_IN_PROGRESS,
                        SSE_WORK_IN_PROGRESS,
                        DEPRECATED_COMMON_CONFIG,
                        PARSER_WORK_IN_PROGRESS)
                .stream()
                .map(line -> lines.forward(line, false))
                .flatMap(Optional::stream)
                .toList();

        assertEquals(2, shown.size(), shown.toString());
        assertEquals(Level.INFO, shown.get(0).level());
        assertTrue(
                shown.get(0).text().contains("common_config, which Envoy 1.40 deprecates"),
                shown.get(0).text());
        assertTrue(
                shown.get(0)
                        .text()
                        .endsWith("OpenTelemetryAccessLogConfig.common_config' from file logs_service.proto.)"),
                shown.get(0).text());
        assertTrue(
                shown.get(1).text().contains("sse_to_metadata filter and its JSON parser"),
                shown.get(1).text());
    }

    @Test
    void otherWarningsPassWholeAsWarnings() {
        String otherWorkInProgress = workInProgress(
                "envoy.extensions.filters.http.mcp.v3.Mcp", "envoy/extensions/filters/http/mcp/v3/mcp.proto");
        String otherDeprecated = DEPRECATED_COMMON_CONFIG.replace("common_config'", "access_log_options'");

        for (String line : List.of(otherWorkInProgress, otherDeprecated, otherWorkInProgress)) {
            assertEquals(Optional.of(new Forwarded(Level.WARN, line)), lines.forward(line, false));
        }
    }

    @Test
    void errorsAlwaysPassAsErrorsEvenWhileStopping() {
        String error = "[2026-12-07 23:14:27.166][23978][error][config] [source/common/config/grpc_stream.h:1]"
                + " gRPC config for type.googleapis.com/envoy.config.listener.v3.Listener rejected";
        String critical = "[2026-12-07 23:14:27.166][23978][critical][main] [source/server/server.cc:1] error"
                + " initializing config: " + SSE_WORK_IN_PROGRESS;

        for (boolean stopping : List.of(false, true)) {
            assertEquals(Optional.of(new Forwarded(Level.ERROR, error)), lines.forward(error, stopping));
            assertEquals(Optional.of(new Forwarded(Level.ERROR, critical)), lines.forward(critical, stopping));
        }
    }

    @Test
    void warningsAboutAStopAreInfoOnceWeAskedForItOrEnvoyCaughtTheSignal() {
        assertEquals(Optional.of(new Forwarded(Level.WARN, STREAM_CLOSED)), lines.forward(STREAM_CLOSED, false));
        assertEquals(Optional.of(new Forwarded(Level.INFO, STREAM_CLOSED)), lines.forward(STREAM_CLOSED, true));

        assertEquals(Optional.of(new Forwarded(Level.INFO, SIGNAL)), lines.forward(SIGNAL, false));
        assertEquals(Optional.of(new Forwarded(Level.INFO, STREAM_CLOSED)), lines.forward(STREAM_CLOSED, false));
    }

    @Test
    void aRestartedEnvoyStartsUnsignalledAndDoesNotRepeatWhatWasSaid() {
        lines.forward(DEPRECATED_COMMON_CONFIG, false);
        lines.forward(SIGNAL, false);
        EnvoyLogLines.ProcessOutput restarted = logLines.newProcess();

        assertEquals(Optional.of(new Forwarded(Level.WARN, STREAM_CLOSED)), restarted.forward(STREAM_CLOSED, false));
        assertEquals(Optional.empty(), restarted.forward(DEPRECATED_COMMON_CONFIG, false));
    }

    @Test
    void infoLinesAndLinesInAnotherFormatPassAsInfo() {
        String info =
                "[2026-12-07 23:14:27.166][23978][info][main] [source/server/server.cc:1] starting main dispatch loop";
        String unformatted = "envoy  version: 9e5580933739775e8bce696a57a2e1bc99368f23/1.40.0/Clean/RELEASE/BoringSSL";

        assertEquals(Optional.of(new Forwarded(Level.INFO, info)), lines.forward(info, false));
        assertEquals(Optional.of(new Forwarded(Level.INFO, unformatted)), lines.forward(unformatted, false));
    }

    private static String workInProgress(String message, String protoFile) {
        return PREFIX + "[source/common/protobuf/message_validator_impl.cc:39] message '" + message
                + "' is contained in proto file '" + protoFile + "' marked as work-in-progress. API features marked"
                + " as work-in-progress are not considered stable.";
    }
}
