/**
 * The translator: the router's model ({@link org.jairouter.ir.RouterIr}) in, Envoy resources out. A pure
 * function ({@link org.jairouter.translate.EnvoyTranslator}), golden-tested case by case and checked by a
 * real {@code envoy --mode validate}; the running router calls it through {@link
 * org.jairouter.translate.IncrementalTranslator}, which reuses the parts of its last translation whose
 * inputs are equal (the one seam for that: {@code Parts}).
 *
 * <h2>Where each part of Envoy's config is made</h2>
 *
 * <ul>
 *   <li><b>The listener</b> ({@code ListenerTranslator}): the HTTP connection manager and its HTTP filters,
 *       in one ordered list with a comment per step. Each filter's own file gives its filters and the
 *       per-route config that switches it on: client keys ({@code ClientKeys}), the body readers that find
 *       the model ({@code ModelFilters}, with {@code Names} for the metadata they write), rate limits
 *       ({@code RateLimits}), usage readers ({@code UsageFilters}), access logs ({@code AccessLogs}, {@code
 *       AccessLogFields}); Envoy's own replies become OpenAI's error JSON in {@code ErrorReplies}.
 *   <li><b>Routes</b> ({@code RouteTranslator}): per service its path's routes (405, 400s, one per model,
 *       404), each carrying the per-route configs of the filters it needs (most filters are off unless a
 *       route switches them on, so traffic pays only for what its service uses); retries and hash policies
 *       per model route ({@code LoadBalancingPolicies} for the hash policies). The status paths
 *       ({@code StatusRoutes}) come last.
 *   <li><b>Clusters</b> ({@code ClusterTranslator}): one per model with EDS endpoints, its limits, load
 *       balancer ({@code LoadBalancingPolicies}), health checks and outlier detection ({@code HealthChecks}),
 *       upstream HTTP options and per-instance upstream filters ({@code UpstreamHttp}), TLS ({@code
 *       UpstreamTls}); an aggregate cluster per model with fallbacks, a saturation gate (a cluster and
 *       an internal listener) per model the IR marks gated ({@code SaturationGates}), and a low-priority
 *       gate per capped model, where low-priority requests enter it ({@code LowPriorityGates}). A service
 *       with a first-token timeout adds its streams' routes, the upstream filter that holds a stream's
 *       headers until its first token, and the internal listener that filter waits on ({@code
 *       FirstTokenWait}).
 *   <li><b>Endpoints</b> ({@code ClusterTranslator.endpoints}): the model's instances at their resolved
 *       addresses ({@code ResolvedHosts}) with their weights, scaled by what load-aware observed ({@code
 *       LoadWeights}); the fleet's local cluster ({@code FleetEndpoints}) is added by the publisher.
 * </ul>
 *
 * <p>Nothing here decides a name, a fallback chain or a gate: those are the IR's ({@code ModelIr}), so the
 * status, the metrics and the load scraper agree with the translator by reading the same model. Extensions
 * newer than the 1.34 API classes go through {@code TypedStructs}.
 *
 * <h2>Adding a feature: a worked example</h2>
 *
 * <p>The per-service {@code retry} policy, inherited from the model section, is the shape most features
 * take. It touches:
 *
 * <ol>
 *   <li>{@code config/RetryPolicy.java}: the record (attempts, on-server-error) and its default; its reader
 *       {@code config/RetryReader.java} reads a section over the inherited value and reports problems on
 *       the {@code YamlSection} (file, line, key, expected range).
 *   <li>{@code config/ServiceSettings.java}: one {@code InheritedSetting} constant, {@code RETRY}, listed
 *       in {@code ALL}. The model section and every service now accept and read {@code retry:}.
 *   <li>{@code translate/RouteTranslator.java}: reads {@code service.settings().get(ServiceSettings.RETRY)}
 *       (or its accessor {@code retry()}) and sets each model route's {@code retry_policy}.
 *   <li>A golden case: {@code src/test/resources/golden/retries-attempts/input.yml}, its output generated
 *       by the command in {@code TranslatorGoldenTest}, reviewed in git; a bad value gets a {@code
 *       golden-errors} case. {@code EnvoyValidatesTranslationTest} runs every case through Envoy.
 * </ol>
 *
 * <p>A feature that needs a decision several stages share (a new kind of cluster name, a model's role in a
 * chain) adds a field to {@code ModelIr} or {@code ServiceIr}, computed in {@code ServiceIr.of}, and shows in
 * the cases' {@code ir.json}. A new HTTP filter gets its own file with its filter and per-route config, and
 * one line in {@code ListenerTranslator}'s list, where the order is explained.
 */
package org.jairouter.translate;
