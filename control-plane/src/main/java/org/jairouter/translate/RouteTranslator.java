package org.jairouter.translate;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.route.v3.DirectResponseAction;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate;
import io.envoyproxy.envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig;
import io.envoyproxy.envoy.type.matcher.v3.MetadataMatcher;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatchAndSubstitute;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.matcher.v3.ValueMatcher;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.jairouter.config.ApiKeys;
import org.jairouter.config.ExtraEndpoint;
import org.jairouter.config.Instance;
import org.jairouter.config.ModelSource;
import org.jairouter.config.Monitoring;
import org.jairouter.config.RouterConfig;
import org.jairouter.config.ServiceConfig;
import org.jairouter.config.ServiceType;
import org.jairouter.ir.ModelIr;
import org.jairouter.ir.ResponsesLookup;
import org.jairouter.ir.RouterIr;
import org.jairouter.ir.ServiceIr;

/**
 * The route table. Each public path (a service's own, then its extra endpoints') gets, in order: a 405 for methods other than POST, the 400s for
 * a body whose model cannot be read, one route per model to that model's cluster, and a 404 for any
 * other model. The body is read by a filter that the path's routes switch on (JSON or multipart);
 * it writes the model into dynamic metadata and clears the route cache, so Envoy matches again.
 */
final class RouteTranslator {
    /** On the responses of a model with fallbacks: the model that served the request. */
    static final String SERVED_MODEL_HEADER = Names.INTERNAL_HEADER_PREFIX + "served-model";

    /** Envoy's shortest retry back-off (1 ms), where moving on to another instance at once is safe. */
    private static final RetryPolicy.RetryBackOff NO_BACK_OFF = RetryPolicy.RetryBackOff.newBuilder()
            .setBaseInterval(com.google.protobuf.Duration.newBuilder().setNanos(1_000_000))
            .build();

    /** A generation may stream for many minutes; only a silent upstream is cut off. */
    private static final long STREAM_IDLE_SECONDS = 300;

    /** What a search for a stored response retries on, besides failures: the 404 of a server without it. */
    private static final String SEARCH_RETRY_ON = "retriable-status-codes";

    /**
     * Picks allowed per server searched before a retry gives up finding one not yet asked: load balancers that
     * pick at random (random, least-request's two choices, the hash policies' rehash on retries) miss a given
     * remaining server with a chance of (1 - 1/n) per pick, under e^-16 over 16n picks.
     */
    private static final int SEARCH_PICKS_PER_SERVER = 16;

    private RouteTranslator() {}

    /**
     * The route table, reusing the routes of every service whose inputs are those of the cache's last
     * translation.
     */
    static RouteConfiguration routes(RouterIr ir, Parts parts) {
        RouterConfig config = ir.config();
        VirtualHost.Builder host = VirtualHost.newBuilder()
                .setName("jairouter")
                .addDomains("*")
                .addAllRequestHeadersToRemove(ClientKeys.credentialHeaders(config.apiKeys()));
        for (ServiceIr service : ir.services().values()) {
            host.addAllRoutes(parts.part(
                    "routes",
                    service.type().key(),
                    new ServiceRouteInputs(service, config.monitoring(), config.apiKeys()),
                    ServiceRouteInputs::make));
        }
        // Last: Envoy tries routes in order, twice per model request, and no status path is a service's path,
        // so the model traffic need not pass the status routes first (2% of Envoy's CPU per request).
        host.addAllRoutes(StatusRoutes.routes(config.listener().exposeStatus()));
        return RouteConfiguration.newBuilder()
                .setName(Names.ROUTE_CONFIG)
                .addVirtualHosts(host)
                .build();
    }

    /** Everything a service's routes are made from: the service and its models, the monitoring, the client keys. */
    private record ServiceRouteInputs(ServiceIr service, Monitoring monitoring, ApiKeys keys) {
        List<Route> make() {
            return serviceRoutes(service, monitoring, keys);
        }
    }

    /**
     * The routes of the service's own path, then those of each of its extra endpoints (each path's routes
     * the same kinds, its model routes for the models served on it).
     */
    private static List<Route> serviceRoutes(ServiceIr serviceIr, Monitoring monitoring, ApiKeys keys) {
        ServiceType type = serviceIr.type();
        List<Route> routes = new ArrayList<>(
                pathRoutes(serviceIr, monitoring, keys, new PublicPath(type.key(), type.publicPath(), null)));
        for (ExtraEndpoint endpoint : ExtraEndpoint.of(type)) {
            routes.addAll(pathRoutes(
                    serviceIr, monitoring, keys, new PublicPath(endpoint.key(), endpoint.publicPath(), endpoint)));
        }
        serviceIr.responsesLookup().ifPresent(lookup -> routes.addAll(lookupRoutes(serviceIr, lookup, keys)));
        return routes;
    }

    /**
     * GET /v1/responses/{id} and POST /v1/responses/{id}/cancel, to the search over every server of the Responses
     * API ({@link ResponsesLookup}). They name no model, so with keys enforced only a key that may use every model
     * served on the Responses API may look a response up (any of them may have made it); any other key of the
     * service is refused with 403. Other methods and paths under /v1/responses/ match no route (vLLM has no DELETE).
     */
    private static List<Route> lookupRoutes(ServiceIr serviceIr, ResponsesLookup lookup, ApiKeys keys) {
        ServiceType type = serviceIr.type();
        String prefix = ExtraEndpoint.RESPONSES.publicPath() + "/";
        String id = "[^/]+";
        List<String> models = serviceIr.models().values().stream()
                .filter(model -> model.extraEndpoints().containsKey(ExtraEndpoint.RESPONSES))
                .map(ModelIr::name)
                .toList();
        Optional<HeaderMatcher> permittedKeys = ClientKeys.modelsRouteMatch(keys, type, models);
        Map<String, Any> keyCheck = ClientKeys.serviceRouteConfig(keys, type);
        List<Route> routes = new ArrayList<>();
        for (var byId :
                Map.of("GET", "^" + prefix + id + "$", "POST", "^" + prefix + id + "/cancel$").entrySet().stream()
                        .sorted(Map.Entry.comparingByKey())
                        .toList()) {
            String key = ExtraEndpoint.RESPONSES.key() + ":" + byId.getKey().toLowerCase() + "_by_id";
            RouteMatch.Builder match = RouteMatch.newBuilder()
                    .setSafeRegex(RegexMatcher.newBuilder().setRegex(byId.getValue()))
                    .addHeaders(HeaderMatcher.newBuilder()
                            .setName(":method")
                            .setStringMatch(StringMatcher.newBuilder().setExact(byId.getKey())));
            RouteMatch.Builder permitted = match.clone();
            permittedKeys.ifPresent(permitted::addHeaders);
            routes.add(Route.newBuilder()
                    .setName(key)
                    .setMatch(permitted)
                    .setRoute(RouteAction.newBuilder()
                            .setCluster(lookup.cluster())
                            .setAutoHostRewrite(BoolValue.of(true))
                            .setRegexRewrite(RegexMatchAndSubstitute.newBuilder()
                                    .setPattern(RegexMatcher.newBuilder().setRegex("^" + prefix))
                                    .setSubstitution(lookup.path() + "/"))
                            // As a model's route: a retrieval with stream=true follows a background response.
                            .setTimeout(Protos.seconds(0))
                            .setIdleTimeout(Protos.seconds(STREAM_IDLE_SECONDS))
                            .setRetryPolicy(searchRetries(
                                            toAnotherInstance(RetryPolicy.newBuilder()),
                                            lookup.instances().size())
                                    .setRetryOn(
                                            "connect-failure,refused-stream,reset-before-request," + SEARCH_RETRY_ON)
                                    .setPerTryTimeout(
                                            Protos.duration(serviceIr.config().responseTimeout()))))
                    .putAllTypedPerFilterConfig(keyCheck)
                    .build());
            if (permittedKeys.isPresent()) {
                routes.add(Route.newBuilder()
                        .setName(key + ":not_permitted")
                        .setMatch(match)
                        .setDirectResponse(direct(403, ErrorReplies.MODEL_NOT_PERMITTED))
                        .putAllTypedPerFilterConfig(keyCheck)
                        .build());
            }
        }
        return routes;
    }

    /**
     * Searching {@code servers} for a stored response: a server without it answers 404 (vLLM, for an unknown
     * {@code previous_response_id} or id), and the request moves on to one not yet asked, at once (a 404 is no
     * failure to back off from), until one has it or each was asked. Picking a server not yet asked may take
     * several picks; the last 404 is the client's answer when none has it.
     */
    private static RetryPolicy.Builder searchRetries(RetryPolicy.Builder policy, int servers) {
        return policy.setNumRetries(UInt32Value.of(policy.getNumRetries().getValue() + servers - 1))
                .addRetriableStatusCodes(404)
                .setRetryBackOff(NO_BACK_OFF)
                .setHostSelectionRetryMaxAttempts(
                        Math.max(policy.getHostSelectionRetryMaxAttempts(), (long) SEARCH_PICKS_PER_SERVER * servers));
    }

    /** Each retry goes to an instance not tried yet, when a few picks find one. */
    private static RetryPolicy.Builder toAnotherInstance(RetryPolicy.Builder policy) {
        return policy.addRetryHostPredicate(RetryPolicy.RetryHostPredicate.newBuilder()
                        .setName("envoy.retry_host_predicates.previous_hosts")
                        .setTypedConfig(Any.pack(PreviousHostsPredicate.getDefaultInstance())))
                .setHostSelectionRetryMaxAttempts(5);
    }

    /**
     * One public path of a service.
     *
     * @param key   the first part of its routes' names: the service's key, or the extra endpoint's
     * @param extra the extra endpoint it is, or null for the service's own path
     */
    private record PublicPath(String key, String path, ExtraEndpoint extra) {
        boolean serves(ModelIr model) {
            return extra == null || model.extraEndpoints().containsKey(extra);
        }

        /**
         * The path every instance of the model's chain serves it at, when the route rewrites the path for all
         * of them (on the service path the cluster's own rewrite stands); empty for the service path, or when
         * the routed cluster's upstream filter gives each instance its own ({@link #namesApi}).
         */
        Optional<String> upstreamPath(ModelIr model) {
            return extra == null || model.pathsPerInstance()
                    ? Optional.empty()
                    : Optional.of(model.extraEndpoints().get(extra).get(0));
        }

        /** True when the route must tell the cluster's upstream filter which API's path to take. */
        boolean namesApi(ModelIr model) {
            return extra != null && model.pathsPerInstance();
        }
    }

    private static List<Route> pathRoutes(ServiceIr serviceIr, Monitoring monitoring, ApiKeys keys, PublicPath at) {
        ServiceConfig service = serviceIr.config();
        ServiceType type = service.type();
        String path = at.path();
        String key = at.key();
        ModelSource source = type.modelSource();
        List<Route> routes = new ArrayList<>();
        // Every route of the path admits only the keys permitted for the service.
        Map<String, Any> keyCheck = ClientKeys.serviceRouteConfig(keys, type);
        // A model named on the request line needs no body: any method may carry it (a custom service's GET).
        if (source.inBody()) {
            routes.add(Route.newBuilder()
                    .setName(key + ":method_not_allowed")
                    .setMatch(RouteMatch.newBuilder()
                            .setPath(path)
                            .addHeaders(HeaderMatcher.newBuilder()
                                    .setName(":method")
                                    .setStringMatch(StringMatcher.newBuilder().setExact("POST"))
                                    .setInvertMatch(true)))
                    .setDirectResponse(direct(405, ErrorReplies.METHOD_NOT_ALLOWED))
                    .putAllTypedPerFilterConfig(keyCheck)
                    .build());
        }
        // Every route that can match before the body is read switches the body buffer and reader on, and the
        // usage readers: Envoy builds a request's filter chain from the route matched first (awaiting_body below).
        Map<String, Any> bodyReader = new HashMap<>(keyCheck);
        bodyReader.putAll(UsageFilters.perRoute(type, monitoring));
        bodyReader.putAll(ModelFilters.enabledFor(source));
        bodyReader.putAll(PromptPrefixKey.perRoute(service));
        if (source.inBody()) {
            routes.add(Route.newBuilder()
                    .setName(key + ":" + Names.INVALID_BODY)
                    .setMatch(metadataMatch(path, Names.ERROR_KEY, Names.INVALID_BODY))
                    .setDirectResponse(direct(400, ErrorReplies.invalidBody(source)))
                    .putAllTypedPerFilterConfig(bodyReader)
                    .build());
        }
        routes.add(Route.newBuilder()
                .setName(key + ":" + Names.MISSING_MODEL)
                .setMatch(metadataMatch(path, Names.ERROR_KEY, Names.MISSING_MODEL))
                .setDirectResponse(direct(400, ErrorReplies.missingModel(source)))
                .putAllTypedPerFilterConfig(bodyReader)
                .build());
        // Matched again once the body is read, by when Envoy has set the key id.
        ClientKeys.spentKeys(keys)
                .ifPresent(spent -> routes.add(Route.newBuilder()
                        .setName(key + ":quota_spent")
                        .setMatch(RouteMatch.newBuilder().setPath(path).addHeaders(spent))
                        .setDirectResponse(direct(429, ErrorReplies.QUOTA_SPENT))
                        .putAllTypedPerFilterConfig(bodyReader)
                        .putAllTypedPerFilterConfig(ClientKeys.quotaRouteConfig())
                        .build()));
        // Before the body is read, no model's route can match: this one takes the request there (switching the
        // body reader on) instead of the model_not_found at the end, which Envoy reached only after trying
        // every model's route (at 1,000 models, +50% CPU per request). It answers as model_not_found: a body
        // that never reached the reader leaves no model to route on.
        routes.add(Route.newBuilder()
                .setName(key + ":" + Names.AWAITING_BODY)
                .setMatch(RouteMatch.newBuilder()
                        .setPath(path)
                        .addDynamicMetadata(metadataAt(Names.MODEL_KEY)
                                .setValue(ValueMatcher.newBuilder().setPresentMatch(true))
                                .setInvert(true)))
                .setDirectResponse(direct(404, ErrorReplies.MODEL_NOT_FOUND))
                .putAllTypedPerFilterConfig(bodyReader)
                .build());
        for (ModelIr modelIr : serviceIr.models().values()) {
            if (!at.serves(modelIr)) {
                // Its requests meet the path's model_not_found, which names the model and the path.
                continue;
            }
            String model = modelIr.name();
            Map<String, Any> modelFilters = ModelFilters.modelRouteConfig(source);
            // The key id is for the router's own endpoints only.
            List<String> keyIdRemoved = keys.enforced() ? List.of(ClientKeys.KEY_ID_HEADER) : List.of();
            Optional<HeaderMatcher> permittedKeys = ClientKeys.modelRouteMatch(keys, type, model);
            RouteMatch.Builder match = metadataMatch(path, Names.MODEL_KEY, model).toBuilder();
            permittedKeys.ifPresent(match::addHeaders);
            modelIr.lowPriorityGate().ifPresent(gate -> {
                BiFunction<String, RouteMatch.Builder, Route> toGate = (name, lowPriorityMatch) -> {
                    Route.Builder gateRoute = Route.newBuilder()
                            .setName(key + ":" + model + ":" + name)
                            .setMatch(lowPriorityMatch)
                            .setRoute(toLowPriorityGate(gate, modelIr, at.upstreamPath(modelIr)))
                            .putAllTypedPerFilterConfig(bodyReader)
                            .putAllTypedPerFilterConfig(modelFilters)
                            .addAllRequestHeadersToRemove(keyIdRemoved)
                            .addRequestHeadersToAdd(LowPriorityGates.MARK);
                    withApiNamed(gateRoute, at, modelIr);
                    return gateRoute.build();
                };
                // A low-priority key's requests, whatever they ask; then any request permitted on the model
                // that asks for low priority itself.
                ClientKeys.lowPriorityKeys(keys, type, model)
                        .ifPresent(lowPriorityKeys -> routes.add(toGate.apply(
                                "low_priority",
                                metadataMatch(path, Names.MODEL_KEY, model).toBuilder()
                                        .addHeaders(lowPriorityKeys))));
                routes.add(toGate.apply("low_priority_asked", match.clone().addHeaders(LowPriorityGates.ASKED)));
            });
            Route.Builder route = Route.newBuilder()
                    .setName(key + ":" + model)
                    .setMatch(match)
                    .setRoute(modelRoute(
                            service, modelIr, at.upstreamPath(modelIr), at.extra() == ExtraEndpoint.RESPONSES))
                    .putAllTypedPerFilterConfig(bodyReader)
                    .putAllTypedPerFilterConfig(modelFilters)
                    .addAllRequestHeadersToRemove(keyIdRemoved);
            withResponseHeaders(route, modelIr);
            withApiNamed(route, at, modelIr);
            if (service.firstTokenTimeout().isPresent()) {
                route.putAllTypedPerFilterConfig(FirstTokenWait.offForRoute());
            }
            Route modelRoute = route.build();
            service.firstTokenTimeout().ifPresent(timeout -> routes.add(streamRoute(modelRoute, timeout)));
            routes.add(modelRoute);
            if (permittedKeys.isPresent()) {
                routes.add(Route.newBuilder()
                        .setName(key + ":" + model + ":model_not_permitted")
                        .setMatch(metadataMatch(path, Names.MODEL_KEY, model))
                        .setDirectResponse(direct(403, ErrorReplies.MODEL_NOT_PERMITTED))
                        .putAllTypedPerFilterConfig(bodyReader)
                        .build());
            }
        }
        routes.add(Route.newBuilder()
                .setName(key + ":model_not_found")
                .setMatch(RouteMatch.newBuilder().setPath(path))
                .setDirectResponse(direct(404, ErrorReplies.MODEL_NOT_FOUND))
                .putAllTypedPerFilterConfig(bodyReader)
                .build());
        return routes;
    }

    /**
     * A model's route: to its cluster, or to the aggregate of its chain, with its retries.
     *
     * @param upstreamPath the path every instance serves the route's extra endpoint at; empty on the service path
     * @param searched     the Responses API: a request continuing a stored response ({@code previous_response_id})
     *                     searches the instances for the one that stored it (when there are several, and no
     *                     fallbacks)
     */
    private static RouteAction modelRoute(
            ServiceConfig service, ModelIr model, Optional<String> upstreamPath, boolean searched) {
        List<Instance> instances = model.chainInstances();
        RouteAction.Builder action = sendTo(service, model.routedCluster(), instances);
        upstreamPath.ifPresent(action::setPrefixRewrite);
        RetryPolicy.Builder retries = retryPolicy(service, model.hasFallbacks(), model.gatesInChain());
        // Not over a fallback chain: there each try of a follow-up ran into the response timeout (Envoy 1.40,
        // by traffic), instead of a 404 being retried; such a model's follow-ups take the first instance's answer.
        if (searched && instances.size() > 1 && !model.hasFallbacks()) {
            searchRetries(retries, instances.size())
                    .setRetryOn(Stream.of(retries.getRetryOn(), SEARCH_RETRY_ON)
                            .filter(on -> !on.isEmpty())
                            .collect(Collectors.joining(",")));
        }
        return action.setRetryPolicy(retries
                        // Each try may wait this long for the instance to start its answer. Envoy ignores a
                        // try's timeout once the response has started, so streams run on; the route's own
                        // timeout would also cut them (it runs to the end of the response) and stays 0.
                        .setPerTryTimeout(Protos.duration(service.responseTimeout())))
                .build();
    }

    /**
     * On an other API's route to instances with paths of their own, which API: the cluster's upstream filter
     * takes each instance's path of it.
     */
    private static void withApiNamed(Route.Builder route, PublicPath at, ModelIr model) {
        if (at.namesApi(model)) {
            route.addRequestHeadersToAdd(HeaderValueOption.newBuilder()
                    .setHeader(HeaderValue.newBuilder()
                            .setKey(UpstreamHttp.API_HEADER)
                            .setValue(at.extra().key()))
                    .setAppendAction(HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD));
        }
    }

    /** What a model's route does to its responses, a model with fallbacks naming the model that served. */
    private static void withResponseHeaders(Route.Builder route, ModelIr model) {
        if (model.gatesInChain() > 0) {
            // Seen only by a request that could not be retried (it received the gate's reply as it is).
            route.addResponseHeadersToRemove(SaturationGates.UNSERVED_HEADER);
        }
        if (model.hasFallbacks()) {
            route.addResponseHeadersToAdd(HeaderValueOption.newBuilder()
                    .setHeader(HeaderValue.newBuilder()
                            .setKey(SERVED_MODEL_HEADER)
                            .setValue(UpstreamHttp.upstreamMetadata(UpstreamHttp.MODEL_KEY)))
                    .setAppendAction(HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD));
        }
    }

    /**
     * A low-priority request's way into its model's low-priority gate, whose cluster counts it: the path
     * rewritten as the model's route would (the route inside keeps it), nothing else. A refusal there is
     * final: no retry, the client is told when to come back.
     */
    private static RouteAction toLowPriorityGate(String gate, ModelIr model, Optional<String> upstreamPath) {
        RouteAction.Builder action = RouteAction.newBuilder()
                .setCluster(gate)
                .setTimeout(Protos.seconds(0))
                .setIdleTimeout(Protos.seconds(STREAM_IDLE_SECONDS));
        if (ClusterTranslator.sharePath(model.chainInstances())) {
            action.setPrefixRewrite(model.chainInstances().get(0).upstreamPath());
        }
        upstreamPath.ifPresent(action::setPrefixRewrite);
        return action.build();
    }

    /**
     * The route inside a model's low-priority gate: the model's own route (cluster or chain, retries, hash
     * policies, response headers) for a path the outer route already rewrote. Its requests are counted by the
     * model's cluster as every other, so the model's cap bounds them all.
     */
    static Route lowPriorityGateRoute(String gate, ServiceConfig service, ModelIr model) {
        Route.Builder route = Route.newBuilder()
                .setName(gate)
                .setMatch(RouteMatch.newBuilder().setPrefix("/"))
                .setRoute(modelRoute(service, model, Optional.empty(), false).toBuilder()
                        .clearPrefixRewrite())
                // The mark is for the outer listener's refusal only.
                .addRequestHeadersToRemove(LowPriorityGates.MARK.getHeader().getKey())
                .addResponseHeadersToAdd(HeaderValueOption.newBuilder()
                        .setHeader(HeaderValue.newBuilder()
                                .setKey(LowPriorityGates.INSTANCE_HEADER)
                                .setValue("%UPSTREAM_HOST_NAME%"))
                        .setAppendAction(HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD));
        withResponseHeaders(route, model);
        return route.build();
    }

    /**
     * A model's route for its streamed requests, before the model's own route: each try may wait this long
     * for the first token (the cluster's upstream filter holds a stream's headers until then, {@link
     * FirstTokenWait}; the model's route switches that filter off). A stream's headers come before its first
     * token, so this limit replaces the response timeout, which non-streamed requests keep: their headers
     * come only with the whole answer. A retry goes to another instance at once: the client has already
     * waited the timeout, and Envoy's default back-off would add up to 25 ms more.
     */
    private static Route streamRoute(Route modelRoute, java.time.Duration firstTokenTimeout) {
        Route.Builder stream = modelRoute.toBuilder().setName(modelRoute.getName() + ":" + Names.STREAM_KEY);
        FirstTokenWait.onForRoute(stream);
        stream.getMatchBuilder()
                .addDynamicMetadata(metadataAt(Names.STREAM_KEY)
                        .setValue(ValueMatcher.newBuilder().setBoolMatch(true)));
        stream.getRouteBuilder()
                .getRetryPolicyBuilder()
                .setPerTryTimeout(Protos.duration(firstTokenTimeout))
                .setRetryBackOff(NO_BACK_OFF);
        return stream.build();
    }

    /** The route inside a model's saturation gate: to the model's own cluster, as its route would send it. */
    static RouteAction gateRoute(ServiceConfig service, String cluster, List<Instance> instances) {
        RouteAction.Builder action = sendTo(service, cluster, instances);
        if (ClusterTranslator.sharePath(instances)) {
            // Whatever path the outer route left, the one of the model's instances.
            action.clearPrefixRewrite()
                    .setRegexRewrite(RegexMatchAndSubstitute.newBuilder()
                            .setPattern(RegexMatcher.newBuilder().setRegex("^.*$"))
                            .setSubstitution(instances.get(0).upstreamPath()));
        }
        // The response timeout is the outer route's, which ends this one's stream when it fires.
        if (service.retry().attempts() > 0) {
            action.setRetryPolicy(retryPolicy(service, false, 0));
        }
        return action.build();
    }

    private static RouteAction.Builder sendTo(ServiceConfig service, String cluster, List<Instance> instances) {
        RouteAction.Builder action = RouteAction.newBuilder()
                .setCluster(cluster)
                .setAutoHostRewrite(BoolValue.of(true))
                .setTimeout(Protos.seconds(0))
                .setIdleTimeout(Protos.seconds(STREAM_IDLE_SECONDS));
        // Instances with paths of their own get them from the cluster's upstream filters instead.
        if (ClusterTranslator.sharePath(instances)) {
            action.setPrefixRewrite(instances.get(0).upstreamPath());
        }
        action.addAllHashPolicy(
                LoadBalancingPolicies.hashPolicies(service.loadBalancing(), PromptPrefixKey.takenFor(service)));
        return action;
    }

    /**
     * Retries go to another instance of the model. Failures before the request reached an instance are
     * always safe to retry. Where the service allows it ({@link ServiceType#retriesAfterSent}), so is an
     * instance failing without an answer once it read the request ({@code reset}: it closed or reset the
     * connection, answered garbage, or did not start its answer within the response timeout): the client
     * has received nothing, and model servers abort the work of a request whose connection closed. A 5xx
     * answer is retried only when the service opts in, since the instance may have run (and billed) the
     * generation (Envoy's {@code 5xx} also retries every {@code reset}). A saturation gate's refusal is
     * retried once per gate on top: no instance has seen the request.
     */
    private static RetryPolicy.Builder retryPolicy(ServiceConfig service, boolean withFallback, int gates) {
        org.jairouter.config.RetryPolicy retry = service.retry();
        List<String> retryOn = new ArrayList<>();
        if (retry.attempts() > 0) {
            retryOn.addAll(List.of("connect-failure", "refused-stream", "reset-before-request"));
            if (service.type().retriesAfterSent()) {
                retryOn.add("reset");
            }
            if (retry.onServerError()) {
                retryOn.add("5xx");
            }
        }
        RetryPolicy.Builder policy =
                toAnotherInstance(RetryPolicy.newBuilder().setNumRetries(UInt32Value.of(retry.attempts() + gates)));
        if (gates > 0) {
            // A full model's refusal is immediate: moving on needs no back-off (Envoy's default waits up
            // to 25 ms before the first retry, 250 ms later on).
            policy.setRetryBackOff(NO_BACK_OFF);
            retryOn.add("retriable-headers");
            policy.addRetriableHeaders(HeaderMatcher.newBuilder()
                    .setName(SaturationGates.UNSERVED_HEADER)
                    .setPresentMatch(true));
        }
        policy.setRetryOn(String.join(",", retryOn));
        if (withFallback) {
            // The chain's models are priorities of one aggregate: without this, a retry stays with the
            // requested model while any of its instances passes health checks (Envoy 1.40, by traffic).
            policy.setRetryPriority(RetryPolicy.RetryPriority.newBuilder()
                    .setName("envoy.retry_priorities.previous_priorities")
                    .setTypedConfig(Any.pack(PreviousPrioritiesConfig.newBuilder()
                            .setUpdateFrequency(1)
                            .build())));
        }
        return policy;
    }

    private static RouteMatch metadataMatch(String path, String key, String value) {
        return RouteMatch.newBuilder()
                .setPath(path)
                .addDynamicMetadata(metadataAt(key)
                        .setValue(ValueMatcher.newBuilder()
                                .setStringMatch(StringMatcher.newBuilder().setExact(value))))
                .build();
    }

    /** A matcher on the value the body readers put at {@code key} of the router's metadata. */
    private static MetadataMatcher.Builder metadataAt(String key) {
        return MetadataMatcher.newBuilder()
                .setFilter(Names.METADATA_NAMESPACE)
                .addPath(MetadataMatcher.PathSegment.newBuilder().setKey(key));
    }

    /** A local reply; its body is the message that the listener's local reply config wraps in OpenAI's JSON. */
    private static DirectResponseAction direct(int status, String message) {
        return DirectResponseAction.newBuilder()
                .setStatus(status)
                .setBody(DataSource.newBuilder().setInlineString(message))
                .build();
    }
}
