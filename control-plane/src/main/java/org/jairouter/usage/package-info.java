/**
 * Usage and metrics: what every Envoy reports about each request, turned into the Prometheus metrics on
 * {@code GET /metrics}. Java observes only; no request waits on it.
 *
 * <p>How the pieces were chosen (each checked on Envoy 1.40.0 with {@code --mode validate} and traffic):
 * <ul>
 * <li>Token usage is read by Envoy into dynamic metadata ({@code jairouter.usage}) by the filters of
 *     {@code translate.UsageFilters}: {@code sse_to_metadata} for streams (chunks pass as they arrive,
 *     the last usage event wins) and a Lua reader of a JSON body's tail. {@code json_to_metadata}'s
 *     response rules parse properly but buffer the body: a 5 MiB embeddings answer passed, a 40 MB one
 *     became a 500 (over the buffer limit), so they are not used. {@code ai_protocol_manager}'s token
 *     usage (alpha) knows chat APIs only, and with a per-route {@code llm_protocol} it wrote no metadata.
 *     The disabled-by-default usage filters must be switched on on every route that can match before the
 *     body is read, not only on the model routes: Envoy picks a request's filters from the first route.</li>
 * <li>One record per request, defined once in {@code translate.AccessLogFields}, goes to the JSON access
 *     log and, as OTLP logs, to {@link org.jairouter.usage.RequestRecordReceiver} on the xDS server's
 *     port. OTLP rather than Envoy's gRPC access-log service: its attributes are command operators, so the
 *     record carries the first response <em>body</em> byte ({@code %COMMON_DURATION(DS_RX_BEG:US_RX_BODY_BEG:ms)%},
 *     the first token of a stream; the ALS entry has only the first upstream byte, which for SSE is the
 *     headers) and the usage metadata by the same names as the file log. 1.40 deprecates the logger's
 *     {@code common_config}, but ignores the buffer fields of its top-level replacement (see
 *     {@code translate.AccessLogs}).</li>
 * <li>Labels come from the config in force ({@link org.jairouter.usage.MetricLabels}): Envoy's cluster
 *     names the service and model, the endpoint's hostname the instance. Prometheus must scrape with
 *     {@code honor_labels: true}, or the target's {@code instance} label replaces ours.</li>
 * </ul>
 */
package org.jairouter.usage;
