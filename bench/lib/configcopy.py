"""The config a router generated, copied from its Envoy's /config_dump into static Envoys, and the changes
that remove or replace one part of it: shared by the steps that measure what each part costs
(12-config-cost in CPU time, 13-instructions in instructions).

A copy serves the same traffic as the router's own Envoy (same filters, routes, clusters, overload manager,
access log to the same control plane), so the difference between a copy and the copy without X is what X costs.
"""
import contextlib
import copy
import json
import os
from types import SimpleNamespace
from urllib.parse import urlsplit

import benchlib as b

CHAT = b.OPENAI_PATHS["chat"]
# What the copies take from the router's bootstrap besides the resources.
BOOTSTRAP_KEYS = ("overload_manager", "stats_config")


@contextlib.contextmanager
def generated():
    """Backends and the three routers whose configs the rows copy: default monitoring ("on"), monitoring off
    ("off") and default monitoring with a JSON access-log file ("file"). Yields their copies, the Envoy
    binary, the chat backend's (host, port) and the setup's notes."""
    access_log = b.work_path("access.log")
    with b.traffic_setup() as setup, \
            b.router("router-monitoring-off", "monitoring:\n  enabled: false\n" + setup.config) as quiet, \
            b.router("router-access-log", f"monitoring:\n  access-log: {access_log}\n" + setup.config) as logging:
        backend = urlsplit(setup.direct["bench-chat"])
        yield SimpleNamespace(
            configs={"on": static_copy(b.envoy_config_dump(setup.router.work_dir)),
                     "off": static_copy(b.envoy_config_dump(quiet.work_dir)),
                     "file": static_copy(b.envoy_config_dump(logging.work_dir))},
            binary=os.readlink(f"/proc/{setup.router.envoy_pid}/exe"),
            backend=(backend.hostname, backend.port), notes=setup.notes)


def variant(configs, source, change):
    """A copy of configs[source] with the change made."""
    config = copy.deepcopy(configs[source])
    if change:
        change(config)
    return config


def bootstrap_file(name, config):
    """A static Envoy bootstrap of the copy in the work folder, on a free port: (path, listen port)."""
    listen, admin = b.free_port(), b.free_port()
    config = copy.deepcopy(config)
    config["listener"]["address"]["socket_address"]["port_value"] = listen
    bootstrap = {"admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": admin}}},
                 "static_resources": {"listeners": [config["listener"]], "clusters": config["clusters"]},
                 **{key: config[key] for key in BOOTSTRAP_KEYS if config.get(key)}}
    path = b.work_path(f"{name}.json")
    path.write_text(json.dumps(bootstrap))
    return path, listen


def selected(name, on_request, env):
    """Whether a row runs: those the environment variable `env` names (parts of names, "|" between), or else
    all but the ON_REQUEST rows."""
    only = os.environ.get(env)
    if only:
        return any(part in name for part in only.split("|"))
    return not on_request


def static_copy(dump):
    """The dumped listener, routes and clusters as static resources (EDS clusters get their endpoints inline)."""
    sections = {section["@type"].rsplit(".", 1)[-1]: section for section in dump["configs"]}
    listener = sections["ListenersConfigDump"]["dynamic_listeners"][0]["active_state"]["listener"]
    routes = sections["RoutesConfigDump"]["dynamic_route_configs"][0]["route_config"]
    endpoints = {e["endpoint_config"]["cluster_name"]: e["endpoint_config"]
                 for e in sections["EndpointsConfigDump"].get("dynamic_endpoint_configs", [])
                 + sections["EndpointsConfigDump"].get("static_endpoint_configs", [])}
    clusters = [x["cluster"] for x in sections["ClustersConfigDump"].get("dynamic_active_clusters", [])
                + sections["ClustersConfigDump"].get("static_clusters", [])]
    for cluster in clusters:
        if cluster.get("type") == "EDS":
            cluster["type"] = "STATIC"
            del cluster["eds_cluster_config"]
            # The bootstrap's fleet cluster (jairouter_fleet) may have no endpoints yet: the copy needs none.
            assignment = copy.deepcopy(endpoints.get(cluster["name"], {"cluster_name": cluster["name"]}))
            for locality in assignment.get("endpoints", []):
                locality.pop("load_balancing_weight", None)
                for endpoint in locality["lb_endpoints"]:
                    endpoint.pop("health_status", None)  # state, not config
            cluster["load_assignment"] = assignment
    for resource in [listener, routes, *clusters, *(x["load_assignment"] for x in clusters)]:
        resource.pop("@type", None)
    connection_manager(listener).pop("rds")
    connection_manager(listener)["route_config"] = routes
    bootstrap = sections["BootstrapConfigDump"]["bootstrap"]
    return {"listener": listener, "clusters": clusters,
            **{key: bootstrap[key] for key in BOOTSTRAP_KEYS if key in bootstrap}}


def connection_manager(listener):
    return listener["filter_chains"][0]["filters"][0]["typed_config"]


def routes_of(config):
    return connection_manager(config["listener"])["route_config"]["virtual_hosts"][0]["routes"]


def without_filters(*names):
    def change(config):
        manager = connection_manager(config["listener"])
        manager["http_filters"] = [f for f in manager["http_filters"] if f["name"] not in names]
        for route in routes_of(config):
            for name in names:
                route.get("typed_per_filter_config", {}).pop(name, None)
    return change


def without_health_checks(config):
    for cluster in config["clusters"]:
        cluster.pop("health_checks", None)


def without_status_routes(config):
    virtual_host = connection_manager(config["listener"])["route_config"]["virtual_hosts"][0]
    virtual_host["routes"] = [r for r in virtual_host["routes"] if not r["name"].startswith("status:")]


def without_route_keys(*keys):
    def change(config):
        for route in routes_of(config):
            for key in keys:
                route.get("route", {}).pop(key, None)
    return change


def without_cluster_keys(*keys):
    def change(config):
        for cluster in config["clusters"]:
            for key in keys:
                cluster.pop(key, None)
    return change


def without_listener_keys(*keys):
    def change(config):
        for key in keys:
            connection_manager(config["listener"]).pop(key, None)
    return change


def without_overload_manager(config):
    config.pop("overload_manager", None)


def without_access_log(config):
    connection_manager(config["listener"]).pop("access_log", None)


def without_otlp(config):
    """The JSON access-log file kept, the records to the control plane removed."""
    manager = connection_manager(config["listener"])
    manager["access_log"] = [log for log in manager["access_log"]
                             if log["name"] != "envoy.access_loggers.open_telemetry"]


def record_as_attributes(config):
    """The OTLP record's fields as one attribute each (as before the record became one text)."""
    logger = otlp_settings(config)
    operators = logger.pop("body")["string_value"].split("\x1f")
    logger["attributes"] = {"values": [{"key": f"field_{i}", "value": {"string_value": operator}}
                                       for i, operator in enumerate(operators)]}


def record_without_operators(config):
    """The OTLP record as a constant text: what its command operators cost Envoy."""
    otlp_settings(config)["body"]["string_value"] = "-"


def record_to_file(config):
    """The OTLP record's text as a line of Envoy's file access logger (to a file in the work folder)
    instead: what the OTLP entry and its batching cost beyond the formatting they share."""
    text = otlp_settings(config)["body"]["string_value"]
    otlp_logger(config).update({"name": "envoy.access_loggers.file", "typed_config": {
        "@type": "type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog",
        "path": str(b.work_path("records.log")),
        "log_format": {"text_format_source": {"inline_string": text + "\n"}}}})


def sse_reader_on_sse_answers_only(config):
    """The SSE usage reader made only for answers whose content type is text/event-stream: wrapped in the
    composite filter, which creates it when the response headers match (JSON answers never create it)."""
    manager = connection_manager(config["listener"])
    for http_filter in manager["http_filters"]:
        if http_filter["name"] == "jairouter.usage.sse":
            reader = http_filter["typed_config"]
            http_filter["typed_config"] = {
                "@type": "type.googleapis.com/envoy.extensions.common.matching.v3.ExtensionWithMatcher",
                "extension_config": {"name": "composite", "typed_config": {
                    "@type": "type.googleapis.com/envoy.extensions.filters.http.composite.v3.Composite"}},
                "xds_matcher": {"matcher_list": {"matchers": [{
                    "predicate": {"single_predicate": {
                        "input": {"name": "content-type", "typed_config": {
                            "@type": "type.googleapis.com/envoy.type.matcher.v3.HttpResponseHeaderMatchInput",
                            "header_name": "content-type"}},
                        "value_match": {"prefix": "text/event-stream"}}},
                    "on_match": {"action": {"name": "sse", "typed_config": {
                        "@type": "type.googleapis.com/envoy.extensions.filters.http.composite.v3.ExecuteFilterAction",
                        "typed_config": {"name": "jairouter.usage.sse", "typed_config": reader}}}}}]}}}


def chat_usage_by_lua(config):
    """Chat's JSON answers read by the Lua tail reader (as embeddings and rerank are) instead of
    json_to_metadata's response rules."""
    for route in routes_of(config):
        filters = route.get("typed_per_filter_config", {})
        if filters.pop("jairouter.usage.json", None) is not None:
            filters["jairouter.usage.json_tail"] = {"@type": "type.googleapis.com/envoy.config.route.v3.FilterConfig",
                                                    "config": {}}


def chat_usage_held_whole(config):
    """Chat's JSON answers read by json_to_metadata whatever their length (before issue #30 item 6): the
    composite filter's whole-answer action taken out of it, so that no matcher runs and every answer is
    held whole."""
    manager = connection_manager(config["listener"])
    for http_filter in manager["http_filters"]:
        if http_filter["name"] == "jairouter.usage.json":
            matchers = http_filter["typed_config"]["xds_matcher"]["matcher_list"]["matchers"]
            whole = next(m for m in matchers if m["on_match"]["action"]["name"] == "whole")
            http_filter["typed_config"] = whole["on_match"]["action"]["typed_config"]["typed_config"]["typed_config"]


def otlp_logger(config):
    return connection_manager(config["listener"])["access_log"][0]


def otlp_settings(config):
    return otlp_logger(config)["typed_config"]


def otlp_buffer(size_bytes):
    """The OTLP logger batching at `size_bytes` instead of ours."""
    def change(config):
        otlp_settings(config)["common_config"]["buffer_size_bytes"] = size_bytes
    return change


def otlp_top_level(config):
    """The transport and buffer settings as 1.40's top-level fields instead of common_config (as before:
    1.40 ignores these buffer fields and batches at its default 16 KiB)."""
    settings = otlp_settings(config)
    common = settings.pop("common_config")
    common.pop("transport_api_version", None)
    value = {k: v for k, v in settings.items() if k != "@type"} | common
    otlp_logger(config)["typed_config"] = {"@type": "type.googleapis.com/xds.type.v3.TypedStruct",
                                           "type_url": settings["@type"].removeprefix("type.googleapis.com/"),
                                           "value": value}


def record_as_als(config):
    """Envoy's gRPC access-log service (structured entries, no formatters) instead of the OTLP record, to
    the same control plane and with the same batching: the control plane does not serve that service, so
    each batch's stream is refused there; the cost measured is Envoy's (entries built, batched and sent)."""
    otlp_logger(config).update({"name": "envoy.access_loggers.http_grpc", "typed_config": {
        "@type": "type.googleapis.com/envoy.extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig",
        "common_config": otlp_settings(config)["common_config"]}})


def record_as_stats(config):
    """Envoy's stats access logger instead of the OTLP record: the record's figures as Envoy counters and
    histograms tagged by model cluster, instance, key and status, which the control plane would scrape."""
    operators = otlp_settings(config)["body"]["string_value"].split("\x1f")

    def operator(part):
        return next(o for o in operators if part in o)
    tags = [{"name": "cluster", "value_format": "%UPSTREAM_CLUSTER%"},
            {"name": "instance", "value_format": "%UPSTREAM_HOST_NAME%"}]
    tags += [{"name": "key_id", "value_format": o} for o in operators if "key_id" in o]
    coded = tags + [{"name": "status", "value_format": "%RESPONSE_CODE%"}]

    def stat(name, with_tags):
        return {"name": name, "tags": with_tags}
    otlp_logger(config).update({"name": "envoy.access_loggers.stats", "typed_config": {
        "@type": "type.googleapis.com/xds.type.v3.TypedStruct",
        "type_url": "type.googleapis.com/envoy.extensions.access_loggers.stats.v3.Config",
        "value": {"stat_prefix": "jairouter",
                  "counters": [{"stat": stat("requests", coded), "value_fixed": 1},
                               {"stat": stat("input_tokens", tags), "value_format": operator("input_tokens")},
                               {"stat": stat("output_tokens", tags), "value_format": operator("output_tokens")}],
                  "histograms": [{"stat": stat("duration", tags), "unit": "Milliseconds",
                                  "value_format": "%DURATION%"},
                                 {"stat": stat("first_byte", tags), "unit": "Milliseconds",
                                  "value_format": operator("US_RX_BODY_BEG")}]}}})


def router_filter(config):
    manager = connection_manager(config["listener"])
    return next(f for f in manager["http_filters"] if f["name"] == "envoy.filters.http.router")["typed_config"]


def without_dynamic_stats(config):
    """The router filter's dynamic stats off (per-cluster response-code stats and timings). Envoy then also
    stops counting an instance's failed requests (its rq_error in /clusters), which the status shows."""
    router_filter(config)["dynamic_stats"] = False


def stats_rejected(config):
    config["stats_config"] = dict(config.get("stats_config") or {}, stats_matcher={"reject_all": True})


# What JAiRouter sets on its connection manager beyond Envoy's defaults (the body-routing Envoy sets none).
MANAGER_SETTINGS = ("normalize_path", "merge_slashes", "use_remote_address", "internal_address_config",
                    "xff_num_trusted_hops", "server_header_transformation", "common_http_protocol_options",
                    "request_headers_timeout", "stream_idle_timeout", "http_protocol_options",
                    "http2_protocol_options")

# (name, which router's config, the change[, ON_REQUEST]); None keeps the copy as dumped. ON_REQUEST rows
# answer settled questions (bench/notes.md, "Monitoring's cost"): they run only when BENCH_CONFIG_COST_ROWS
# names them, which keeps the full step within bench/run's time limit.
ON_REQUEST = "on request"
VARIANTS = [
    ("monitoring off: as generated", "off", None),
    ("… without the body buffer filter", "off", without_filters("envoy.filters.http.buffer")),
    ("… without health checks", "off", without_health_checks),
    ("… without the 9 status routes (after the model routes)", "off", without_status_routes),
    ("… without retry policy", "off", without_route_keys("retry_policy")),
    ("… without path and host rewrite", "off", without_route_keys("prefix_rewrite", "auto_host_rewrite")),
    ("… without outlier detection and circuit breakers", "off", without_cluster_keys("outlier_detection",
                                                                                     "circuit_breakers")),
    ("… without the connection manager's settings (path normalising, client address, timeouts, "
     "protocol options)", "off", without_listener_keys(*MANAGER_SETTINGS)),
    ("… without the overload manager (bootstrap)", "off", without_overload_manager),
    ("default monitoring: as generated", "on", None),
    ("… without the access log (records to the control plane)", "on", without_access_log),
    ("… without the usage readers", "on", without_filters("jairouter.usage.json", "jairouter.usage.json_tail",
                                                          "jairouter.usage.sse")),
    ("… without the JSON usage reader (chat's JSON answers)", "on", without_filters("jairouter.usage.json")),
    ("… without the SSE usage reader", "on", without_filters("jairouter.usage.sse"), ON_REQUEST),
    ("… with the SSE usage reader made for SSE answers only (composite filter)", "on",
     sse_reader_on_sse_answers_only, ON_REQUEST),
    ("… with chat's JSON usage read by the Lua tail reader", "on", chat_usage_by_lua, ON_REQUEST),
    ("… with chat's JSON usage read by json_to_metadata whatever the answer's length (before: no composite "
     "filter)", "on", chat_usage_held_whole, ON_REQUEST),
    ("… with the record a constant text (no command operator)", "on", record_without_operators, ON_REQUEST),
    ("… with the record's fields as attributes (before)", "on", record_as_attributes),
    ("… with the OTLP buffer fields top-level (before; 1.40 ignores them: 16 KiB batches)", "on", otlp_top_level,
     ON_REQUEST),
    ("… with the OTLP logger's buffer at 16 KiB (Envoy's default; ours is 1 MiB)", "on", otlp_buffer(16384),
     ON_REQUEST),
    ("… with the records as gRPC access-log service entries (ALS) instead of OTLP", "on", record_as_als,
     ON_REQUEST),
    ("… with the records as text lines of the file access logger instead of OTLP", "on", record_to_file,
     ON_REQUEST),
    ("… with the records as Envoy stats (stats access logger) instead of OTLP", "on", record_as_stats),
    ("… with the router's dynamic stats off (loses the instances' failed-request counts)", "on",
     without_dynamic_stats, ON_REQUEST),
    ("… with every Envoy stat rejected (stats_matcher)", "on", stats_rejected, ON_REQUEST),
    ("default monitoring and a JSON access-log file (15-metrics' on): as generated", "file", None),
    ("… without the records to the control plane (the JSON access-log file alone)", "file", without_otlp),
]
