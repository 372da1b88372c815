package org.jairouter.translate;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.extensions.filters.http.header_to_metadata.v3.Config;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import org.jairouter.config.ServiceConfig;
import org.jairouter.ir.ModelIr;

/**
 * Interactive before batch. Low-priority requests (of low-priority keys, or asking for it: {@link #ASKED})
 * enter a capped model through a gate of their own: a cluster of one endpoint, an internal listener of
 * the same Envoy, whose only route is the model's route. The gate's cluster admits at most the
 * low-priority share of the model's max-concurrent-requests (its {@code max_requests}); inside, the
 * model's own cluster counts the request with every other one.
 * Two counters, held together for the whole request, so that with N the model's cap and B its
 * low-priority share:
 *
 * <ul>
 *   <li>the model's instances never carry more than N requests in all, as without priorities;
 *   <li>low-priority requests never hold more than B, so N - B are always left to interactive ones;
 *   <li>a low-priority request is admitted only while the model has room, when an interactive one would
 *       be too: no state refuses an interactive request and admits a low-priority one.
 * </ul>
 *
 * <p>Envoy's per-priority circuit-breaker thresholds (a route's {@code priority}) were not used: their
 * counters are independent, so the instances would carry up to N + B. A low-priority request refused
 * (its share in use, or the model full) is answered 429 with retry-after, never retried by the router.
 */
final class LowPriorityGates {
    /** Set on a low-priority request by its route, so the outer listener's refusal can say why. */
    static final HeaderValueOption MARK = HeaderValueOption.newBuilder()
            .setHeader(HeaderValue.newBuilder()
                    .setKey(Names.INTERNAL_HEADER_PREFIX + "priority")
                    .setValue("low"))
            .setAppendAction(HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD)
            .build();

    /**
     * A request that asks for low priority itself: any client may lower its own requests' priority (a
     * gateway holding one key marks its batch traffic so), none may raise it (a low-priority key's requests
     * stay low whatever they send). The header reaches the instance as the client's other headers do.
     */
    static final HeaderMatcher ASKED = HeaderMatcher.newBuilder()
            .setName("x-request-priority")
            .setStringMatch(StringMatcher.newBuilder().setExact("low").setIgnoreCase(true))
            .build();

    /**
     * On a low-priority answer, from the route inside: the instance that served it. Outside, the request's
     * instance is the gate; the recorder moves this into the request's record and off the answer.
     */
    static final String INSTANCE_HEADER = Names.INTERNAL_HEADER_PREFIX + "instance";

    private static final String INSTANCE_RECORDER = "jairouter.low_priority_instance";

    private LowPriorityGates() {}

    /**
     * The outer listener's filter that moves {@link #INSTANCE_HEADER} into dynamic metadata, where the
     * request's record reads it ({@link Names#GATED_INSTANCE_KEY}). On for every route: a request's filters
     * are those of the route it matched first, before its body named the model (and so its low-priority
     * route); an answer without the header costs one lookup.
     */
    static HttpFilter instanceRecorder() {
        Config.Rule rule = Config.Rule.newBuilder()
                .setHeader(INSTANCE_HEADER)
                .setOnHeaderPresent(Config.KeyValuePair.newBuilder()
                        .setMetadataNamespace(Names.METADATA_NAMESPACE)
                        .setKey(Names.GATED_INSTANCE_KEY))
                .setRemove(true)
                .build();
        return HttpFilter.newBuilder()
                .setName(INSTANCE_RECORDER)
                .setTypedConfig(
                        Any.pack(Config.newBuilder().addResponseRules(rule).build()))
                .build();
    }

    static Cluster cluster(String gate, ModelIr model, ServiceConfig service) {
        return SaturationGates.internalCluster(
                gate,
                ClusterTranslator.lowPriorityLimits(
                        service.circuitBreaker(), model.instances().size()),
                Metadata.getDefaultInstance());
    }

    /** @param trustedHops the outer listener's trusted proxy hops */
    static Listener listener(String gate, ModelIr model, ServiceConfig service, int trustedHops) {
        return SaturationGates.internalListener(
                gate,
                RouteTranslator.lowPriorityGateRoute(gate, service, model),
                ErrorReplies.lowPriorityGateReplyConfig(model.name()),
                trustedHops);
    }
}
