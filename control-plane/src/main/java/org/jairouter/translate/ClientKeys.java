package org.jairouter.translate;

import com.github.xds.type.v3.TypedStruct;
import com.google.protobuf.Any;
import com.google.protobuf.Struct;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.CidrRange;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.rbac.v3.Permission;
import io.envoyproxy.envoy.config.rbac.v3.Policy;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
import io.envoyproxy.envoy.config.rbac.v3.RBAC;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.extensions.filters.http.header_mutation.v3.HeaderMutation;
import io.envoyproxy.envoy.extensions.filters.http.header_mutation.v3.HeaderMutationPerRoute;
import io.envoyproxy.envoy.extensions.filters.http.header_mutation.v3.Mutations;
import io.envoyproxy.envoy.extensions.filters.http.header_to_metadata.v3.Config;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatchAndSubstitute;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.jairouter.config.ApiKey;
import org.jairouter.config.ApiKeys;
import org.jairouter.config.ServiceType;

/**
 * Client API keys, enforced by Envoy's own filters, which need no round trip to anyone:
 * {@code api_key_auth} authenticates (the key in the configured header, as {@code Authorization:
 * Bearer} or, as Anthropic's clients send it, in {@code x-api-key}; the client name is the key id) and, per route, admits the keys permitted for the route's
 * service; {@code rbac} then refuses a key used from an address outside its allow-list. Both act on
 * headers, before the body names the model: a key limited to some models is held to them by the model
 * routes, which match only the key ids allowed for their model (the key id header below).
 *
 * <p>The filter writes the authenticated key id into {@link Names#KEY_ID_HEADER}, replacing any the
 * client sent; the status endpoints read it, and it is removed before a request reaches an instance. A
 * copy in dynamic metadata ({@code jairouter:key_id}) names the key in the request record.
 * The credentials themselves never leave Envoy: the virtual host removes both headers.
 */
final class ClientKeys {
    static final String AUTH_FILTER = "envoy.filters.http.api_key_auth";
    static final String KEY_ID_HEADER = Names.KEY_ID_HEADER;
    private static final String AUTHORIZATION = "authorization";
    private static final String ANTHROPIC_KEY_HEADER = "x-api-key";
    private static final String KEY_ID_FILTER = "envoy.filters.http.header_to_metadata";
    private static final String ADDRESS_FILTER = "envoy.filters.http.rbac";
    private static final String QUOTA_MARKER = "jairouter.quota_marker";
    private static final String BEARER_READER = "jairouter.bearer_scheme_read";
    private static final String BEARER_WRITER = "jairouter.bearer_scheme_written";
    /** Holds the client's Authorization while its scheme is normalised; never logged. */
    private static final String CREDENTIALS_NAMESPACE = "jairouter.credentials";

    private static final String REFUSAL_HEADER = Names.INTERNAL_HEADER_PREFIX + "refusal";
    private static final String QUOTA = "quota";
    private static final String AUTH_TYPE =
            "type.googleapis.com/envoy.extensions.filters.http.api_key_auth.v3.ApiKeyAuth";
    private static final String PER_ROUTE_TYPE =
            "type.googleapis.com/envoy.extensions.filters.http.api_key_auth.v3.ApiKeyAuthPerRoute";
    private static final Value FORWARDING = Protos.object(Map.of("header", Protos.string(KEY_ID_HEADER)));
    /** No key may call a service: a client name no key id can take (ids start with a letter or digit). */
    private static final String NOBODY = "-";

    private ClientKeys() {}

    /**
     * The authentication filter and, if a key has an address allow-list, the address check after it.
     * The filter's {@code forwarding} (Envoy 1.35) is newer than the 1.34 protos we build with, so its
     * configs are TypedStructs that Envoy reads as its own ApiKeyAuth and ApiKeyAuthPerRoute.
     */
    static List<HttpFilter> httpFilters(ApiKeys keys) {
        if (!keys.enforced()) {
            return List.of();
        }
        List<Value> credentials = keys.accepted().stream()
                .map(key -> Protos.object(
                        Map.of("key", Protos.string(key.value().value()), "client", Protos.string(key.id()))))
                .toList();
        Struct config = Struct.newBuilder()
                .putFields("credentials", Protos.list(credentials))
                .putFields(
                        "key_sources",
                        Protos.list(keyHeaders(keys).stream()
                                .map(header -> Protos.object(Map.of("header", Protos.string(header))))
                                .toList()))
                .putFields("forwarding", FORWARDING)
                .build();
        List<HttpFilter> filters = new ArrayList<>(bearerSchemeNormalised());
        filters.add(HttpFilter.newBuilder()
                .setName(AUTH_FILTER)
                .setTypedConfig(Any.pack(TypedStruct.newBuilder()
                        .setTypeUrl(AUTH_TYPE)
                        .setValue(config)
                        .build()))
                .build());
        filters.add(keyIdRecorder());
        addressCheck(keys).ifPresent(filters::add);
        return filters;
    }

    /**
     * {@code api_key_auth} takes the key after {@code "Bearer "} only so spelt, but an auth scheme is
     * case-insensitive (RFC 9110 11.1): {@code bearer <key>} must be read too. Envoy 1.40 has no native way
     * to rewrite a header's value by a pattern, so header_to_metadata rewrites the Authorization of any
     * spelling of the scheme into {@code Bearer <key>} in dynamic metadata, and header_mutation writes it
     * back; another Authorization (none, Basic...) is left as it is (no match, nothing written, and an
     * empty value is not set). The copy lives in a namespace of its own that nothing logs.
     */
    private static List<HttpFilter> bearerSchemeNormalised() {
        Config.Rule read = Config.Rule.newBuilder()
                .setHeader(AUTHORIZATION)
                .setOnHeaderPresent(Config.KeyValuePair.newBuilder()
                        .setMetadataNamespace(CREDENTIALS_NAMESPACE)
                        .setKey(AUTHORIZATION)
                        .setRegexValueRewrite(RegexMatchAndSubstitute.newBuilder()
                                .setPattern(RegexMatcher.newBuilder().setRegex("^(?i)bearer[ \\t]+(.*)$"))
                                .setSubstitution("Bearer \\1")))
                .build();
        HeaderValueOption write = HeaderValueOption.newBuilder()
                .setHeader(HeaderValue.newBuilder()
                        .setKey(AUTHORIZATION)
                        .setValue("%DYNAMIC_METADATA(" + CREDENTIALS_NAMESPACE + ":" + AUTHORIZATION + ")%"))
                .setAppendAction(HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD)
                .build();
        return List.of(
                HttpFilter.newBuilder()
                        .setName(BEARER_READER)
                        .setTypedConfig(Any.pack(
                                Config.newBuilder().addRequestRules(read).build()))
                        .build(),
                HttpFilter.newBuilder()
                        .setName(BEARER_WRITER)
                        .setTypedConfig(
                                Any.pack(HeaderMutation.newBuilder()
                                        .setMutations(Mutations.newBuilder()
                                                .addRequestMutations(io.envoyproxy.envoy.config.common.mutation_rules.v3
                                                        .HeaderMutation.newBuilder()
                                                        .setAppend(write)))
                                        .build()))
                        .build());
    }

    /**
     * Copies the authenticated key id into dynamic metadata, where the request record finds it: the model
     * routes remove the header before the instance, and Envoy logs the request headers as they were sent
     * upstream, so {@code %REQ(x-jairouter-key-id)%} is empty by then (seen on 1.40).
     */
    private static HttpFilter keyIdRecorder() {
        Config.Rule rule = Config.Rule.newBuilder()
                .setHeader(KEY_ID_HEADER)
                .setOnHeaderPresent(Config.KeyValuePair.newBuilder()
                        .setMetadataNamespace(Names.METADATA_NAMESPACE)
                        .setKey(Names.KEY_ID_KEY))
                .build();
        return HttpFilter.newBuilder()
                .setName(KEY_ID_FILTER)
                .setTypedConfig(
                        Any.pack(Config.newBuilder().addRequestRules(rule).build()))
                .build();
    }

    /** Denies each key with an allow-list when the client address is outside it. */
    private static Optional<HttpFilter> addressCheck(ApiKeys keys) {
        RBAC.Builder rules = RBAC.newBuilder().setAction(RBAC.Action.DENY);
        for (ApiKey key : keys.accepted()) {
            if (key.allowedAddresses().isEmpty()) {
                continue;
            }
            Principal.Set.Builder allowed = Principal.Set.newBuilder();
            key.allowedAddresses()
                    .forEach(address -> allowed.addIds(Principal.newBuilder().setRemoteIp(cidr(address))));
            rules.putPolicies(
                    "address:" + key.id(),
                    Policy.newBuilder()
                            .addPermissions(Permission.newBuilder().setAny(true))
                            .addPrincipals(Principal.newBuilder()
                                    .setAndIds(Principal.Set.newBuilder()
                                            .addIds(Principal.newBuilder().setHeader(keyIdIs(List.of(key.id()))))
                                            .addIds(Principal.newBuilder()
                                                    .setNotId(Principal.newBuilder()
                                                            .setOrIds(allowed)))))
                            .build());
        }
        if (rules.getPoliciesCount() == 0) {
            return Optional.empty();
        }
        return Optional.of(HttpFilter.newBuilder()
                .setName(ADDRESS_FILTER)
                .setTypedConfig(Any.pack(io.envoyproxy
                        .envoy
                        .extensions
                        .filters
                        .http
                        .rbac
                        .v3
                        .RBAC
                        .newBuilder()
                        .setRules(rules)
                        .build()))
                .build());
    }

    /** The per-route config of a service's routes: only keys permitted for the service pass. */
    static Map<String, Any> serviceRouteConfig(ApiKeys keys, ServiceType service) {
        if (!keys.enforced()) {
            return Map.of();
        }
        List<String> allowed = keys.accepted().stream()
                .filter(key -> key.services().contains(service))
                .map(ApiKey::id)
                .toList();
        List<Value> clients = (allowed.isEmpty() ? List.of(NOBODY) : allowed)
                .stream().map(Protos::string).toList();
        // A route's forwarding replaces the filter's, even when left out: it is repeated here.
        Struct config = Struct.newBuilder()
                .putFields("allowed_clients", Protos.list(clients))
                .putFields("forwarding", FORWARDING)
                .build();
        return Map.of(
                AUTH_FILTER,
                Any.pack(TypedStruct.newBuilder()
                        .setTypeUrl(PER_ROUTE_TYPE)
                        .setValue(config)
                        .build()));
    }

    /**
     * The key ids a model route must match, when keys are enforced and some key of the service may
     * not use this model; empty when every key that reaches the route may.
     */
    static Optional<HeaderMatcher> modelRouteMatch(ApiKeys keys, ServiceType service, String model) {
        return modelsRouteMatch(keys, service, List.of(model));
    }

    /** As {@link #modelRouteMatch}, for a route only keys that may use every one of the models may take. */
    static Optional<HeaderMatcher> modelsRouteMatch(ApiKeys keys, ServiceType service, List<String> models) {
        if (!keys.enforced()) {
            return Optional.empty();
        }
        List<ApiKey> ofService = keys.accepted().stream()
                .filter(key -> key.services().contains(service))
                .toList();
        List<String> allowed = ofService.stream()
                .filter(key -> models.stream().allMatch(model -> key.mayUse(service, model)))
                .map(ApiKey::id)
                .toList();
        if (allowed.size() == ofService.size()) {
            return Optional.empty();
        }
        return Optional.of(keyIdIs(allowed.isEmpty() ? List.of(NOBODY) : allowed));
    }

    /** The low-priority keys that may call the model, if any: their requests take the model's low-priority gate. */
    static Optional<HeaderMatcher> lowPriorityKeys(ApiKeys keys, ServiceType service, String model) {
        if (!keys.enforced()) {
            return Optional.empty();
        }
        List<String> ids = keys.accepted().stream()
                .filter(key -> key.lowPriority() && key.mayUse(service, model))
                .map(ApiKey::id)
                .toList();
        return ids.isEmpty() ? Optional.empty() : Optional.of(keyIdIs(ids));
    }

    /** The keys whose daily budget is spent, if any: they meet a 429 instead of their model. */
    static Optional<HeaderMatcher> spentKeys(ApiKeys keys) {
        if (!keys.enforced() || keys.spent().isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(keyIdIs(keys.spent().stream().sorted().toList()));
    }

    /**
     * Marks a request refused for its spent budget, so that the local reply says so: the filter runs
     * after the model readers, on the route matched again once the body was read (the quota route).
     */
    static Optional<HttpFilter> quotaMarker(ApiKeys keys) {
        if (!keys.enforced()) {
            return Optional.empty();
        }
        return Optional.of(HttpFilter.newBuilder()
                .setName(QUOTA_MARKER)
                .setTypedConfig(Any.pack(HeaderMutation.getDefaultInstance()))
                .build());
    }

    /** The quota route's config of the marker. */
    static Map<String, Any> quotaRouteConfig() {
        return Map.of(
                QUOTA_MARKER,
                Any.pack(HeaderMutationPerRoute.newBuilder()
                        .setMutations(Mutations.newBuilder()
                                .addRequestMutations(
                                        io.envoyproxy.envoy.config.common.mutation_rules.v3.HeaderMutation.newBuilder()
                                                .setAppend(HeaderValueOption.newBuilder()
                                                        .setHeader(HeaderValue.newBuilder()
                                                                .setKey(REFUSAL_HEADER)
                                                                .setValue(QUOTA))
                                                        .setAppendAction(
                                                                HeaderValueOption.HeaderAppendAction
                                                                        .OVERWRITE_IF_EXISTS_OR_ADD))))
                        .build()));
    }

    static HeaderMatcher quotaMark() {
        return HeaderMatcher.newBuilder()
                .setName(REFUSAL_HEADER)
                .setStringMatch(StringMatcher.newBuilder().setExact(QUOTA))
                .build();
    }

    /**
     * Where a client's key is read: the configured header, {@code Authorization: Bearer} (OpenAI's SDKs), and
     * {@code x-api-key} (Anthropic's SDKs), once each.
     */
    private static List<String> keyHeaders(ApiKeys keys) {
        return Stream.of(keys.headerName().toLowerCase(), AUTHORIZATION, ANTHROPIC_KEY_HEADER)
                .distinct()
                .toList();
    }

    /** Headers that must not reach an instance: the client's credentials. */
    static List<String> credentialHeaders(ApiKeys keys) {
        if (!keys.enforced()) {
            return List.of();
        }
        List<String> headers = new ArrayList<>(keyHeaders(keys));
        headers.add(REFUSAL_HEADER);
        return headers;
    }

    private static HeaderMatcher keyIdIs(List<String> ids) {
        // Ids are letters, digits and . _ @ -; only the dot means something in a regex.
        String alternatives =
                String.join("|", ids.stream().map(id -> id.replace(".", "\\.")).toList());
        return HeaderMatcher.newBuilder()
                .setName(KEY_ID_HEADER)
                .setStringMatch(StringMatcher.newBuilder()
                        .setSafeRegex(RegexMatcher.newBuilder()
                                .setRegex(ids.size() == 1 ? alternatives : "(" + alternatives + ")")))
                .build();
    }

    private static CidrRange cidr(String address) {
        String[] parts = address.split("/");
        int bits = parts.length == 2 ? Integer.parseInt(parts[1]) : (parts[0].contains(":") ? 128 : 32);
        return CidrRange.newBuilder()
                .setAddressPrefix(parts[0])
                .setPrefixLen(UInt32Value.of(bits))
                .build();
    }
}
