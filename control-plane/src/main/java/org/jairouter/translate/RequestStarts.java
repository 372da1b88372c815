package org.jairouter.translate;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.accesslog.v3.AccessLog;
import io.envoyproxy.envoy.config.accesslog.v3.AccessLogFilter;
import io.envoyproxy.envoy.config.accesslog.v3.LogTypeFilter;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.SubstitutionFormatString;
import io.envoyproxy.envoy.data.accesslog.v3.AccessLogType;
import io.envoyproxy.envoy.extensions.access_loggers.open_telemetry.v3.OpenTelemetryAccessLogConfig;
import io.envoyproxy.envoy.extensions.filters.common.set_filter_state.v3.FilterStateValue;
import io.envoyproxy.envoy.extensions.filters.http.set_filter_state.v3.Config;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.opentelemetry.proto.common.v1.AnyValue;
import java.util.Optional;
import org.jairouter.config.ApiKeys;
import org.jairouter.config.Monitoring;

/**
 * Requests of keys with a daily budget, logged as they start, so that the control plane's ledger counts
 * them while they run (a request record comes only when a request ends). The router logs each upstream
 * stream as it is established ({@code flush_upstream_log_on_upstream_stream}) with the key's id ({@link
 * #format}); a request's record says how many streams it took ({@code upstream_attempts}), which the ledger
 * takes off again.
 *
 * <p>An upstream log sees neither the request's dynamic metadata nor its filter state, only the upstream
 * stream's own, and request headers the route already stripped of the key id (runs on 1.40 showed all
 * three empty). So the key id is copied into filter state shared with the upstream connection (not
 * hashable, so connection pools are not split by key), which the log reads as {@code UPSTREAM_FILTER_STATE}.
 * Every keyed request is logged (a log filter cannot read filter state); the ledger ignores keys without a
 * budget. None of it without a budgeted key.
 */
final class RequestStarts {
    /** Also the log_name Envoy sends. */
    static final String LOG_NAME = "jairouter.request-starts";

    static final String STATE_FILTER = "jairouter.key_id.state";
    /** The filter state object holding the key's id. */
    static final String STATE_KEY = "jairouter.key_id";
    /**
     * Starts reach the ledger sooner than the records (sent at least every second): until one arrives, the
     * budget does not count its request, so this is part of the window in which Envoy admits requests the
     * budget may not cover. They are few: one per request of a keyed client.
     */
    private static final com.google.protobuf.Duration FLUSH_INTERVAL = Protos.duration(java.time.Duration.ofMillis(50));

    private RequestStarts() {}

    /** Whether starts are logged: a key has a daily budget, and the records the budgets come from are on. */
    static boolean logged(Monitoring monitoring, ApiKeys keys) {
        return monitoring.enabled()
                && keys.enforced()
                && keys.keys().stream().anyMatch(key -> key.dailyTokens() > 0 || key.dailyRequests() > 0);
    }

    /** The copy of the key's id into filter state: after the key id is known, before the router. */
    static Optional<HttpFilter> keyIdState(Monitoring monitoring, ApiKeys keys) {
        if (!logged(monitoring, keys)) {
            return Optional.empty();
        }
        return Optional.of(HttpFilter.newBuilder()
                .setName(STATE_FILTER)
                .setTypedConfig(Any.pack(Config.newBuilder()
                        .addOnRequestHeaders(FilterStateValue.newBuilder()
                                .setObjectKey(STATE_KEY)
                                .setFactoryKey("envoy.string")
                                .setFormatString(SubstitutionFormatString.newBuilder()
                                        .setTextFormatSource(DataSource.newBuilder()
                                                .setInlineString(AccessLogFields.OPERATORS.get(AccessLogFields.KEY_ID)))
                                        .setOmitEmptyValues(true))
                                .setSkipIfEmpty(true)
                                .setSharedWithUpstream(FilterStateValue.SharedWithUpstream.ONCE))
                        .build()))
                .build());
    }

    /** The router's upstream log of the starts. */
    static Optional<AccessLog> upstreamLog(Monitoring monitoring, ApiKeys keys) {
        if (!logged(monitoring, keys)) {
            return Optional.empty();
        }
        return Optional.of(AccessLog.newBuilder()
                .setName("envoy.access_loggers.open_telemetry")
                .setFilter(AccessLogFilter.newBuilder()
                        .setLogTypeFilter(LogTypeFilter.newBuilder().addTypes(AccessLogType.UpstreamPoolReady)))
                .setTypedConfig(Any.pack(OpenTelemetryAccessLogConfig.newBuilder()
                        .setCommonConfig(AccessLogs.grpcConfig(LOG_NAME, FLUSH_INTERVAL))
                        .setBody(AnyValue.newBuilder().setStringValue(format()))
                        .build()))
                .build());
    }

    /** The text of a start: a mark no request record begins with, and the key's id. */
    static String format() {
        return AccessLogFields.START_MARK + AccessLogFields.SEPARATOR + "%UPSTREAM_FILTER_STATE(" + STATE_KEY
                + ":PLAIN)%";
    }
}
