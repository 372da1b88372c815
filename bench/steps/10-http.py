#!/usr/bin/env python3
"""Small chat completions: throughput at fixed concurrency, latency at a fixed rate; direct vs router.

Envoy alone (a static route, no JAiRouter filters) is what any Envoy hop costs; the body-routing Envoy (a
static Envoy that only reads `model` from the body and routes on it) is the floor for any router that
routes on the body, so JAiRouter against it is what JAiRouter's own configuration adds.
"""
import os
from dataclasses import dataclass
from urllib.parse import urlsplit

import benchlib as b
import clients as c

WARMUP_SECONDS = 1 if b.SMOKE else 3
THROUGHPUT_SECONDS = 1 if b.SMOKE else 10
CONCURRENCIES = (16, 64)
# Far below what the router sustains (see the throughput table), so that latency shows the cost of
# the extra hop and not queueing; 30 s gives 30,000 samples, 300 of them above p99.
RATE = 200 if b.SMOKE else 1000
RATE_SECONDS = 1 if b.SMOKE else 30
BODY_ROUTING = "body-routing Envoy"
ROUTERS = ("JAiRouter", "JAiRouter, monitoring off")
MONITORING_OFF = "monitoring:\n  enabled: false\n"


@dataclass
class Path:
    name: str
    url: str
    envoy_pid: int = None  # the Envoy on this path, whose CPU time is read


def us_as_ms(microseconds):
    return f"{microseconds / 1000:.3f}"


def throughput(paths):
    """wrk against each path; Envoy's CPU time is read around each run to give its cost per request.

    Returns (markdown, the router's requests/s at the lower concurrency or None).
    """
    title = "### Throughput at fixed concurrency\n\n"
    if not c.WRK:
        return (title + "wrk is not installed: throughput not measured (Debian package `wrk`; outside "
                "smoke mode `bench/run` installs it).\n"), None
    rows, commands, measured = [], [], {}
    for connections in CONCURRENCIES:
        for path in paths:
            c.wrk(path.url, b.CHAT_BODY, connections, WARMUP_SECONDS)
            cpu = b.cpu_seconds(path.envoy_pid) if path.envoy_pid else 0
            command, s = c.wrk(path.url, b.CHAT_BODY, connections, THROUGHPUT_SECONDS)
            rps = s["requests"] / s["duration_us"] * 1e6
            cost = (b.cpu_seconds(path.envoy_pid) - cpu) / s["requests"] * 1e6 if path.envoy_pid else None
            measured[connections, path.name] = rps, cost
            rows.append([connections, path.name, f"{rps:,.0f}", us_as_ms(s["p50_us"]), us_as_ms(s["p90_us"]),
                         us_as_ms(s["p99_us"]), s["errors"], "–" if cost is None else f"{cost:.0f}"])
            commands.append(command)
    headers = ["connections", "path", "requests/s", "p50 ms", "p90 ms", "p99 ms", "socket errors",
               "Envoy CPU µs/request"]
    return (title + b.table(headers, rows) + against_body_routing(measured)
            + f"\nwrk runs {THROUGHPUT_SECONDS} s per row after a {WARMUP_SECONDS} s warm-up, one thread, "
            "keep-alive connections (the body is set by the Lua script). Its latencies here are at "
            "saturation, so they are mostly queueing; the next table has latency below saturation. Envoy "
            "CPU: user + system time of the Envoy process during the run, per request.\n"
            + b.commands_block(commands)), measured[CONCURRENCIES[0], "JAiRouter"][0]


def against_body_routing(measured):
    """JAiRouter's CPU per request and throughput as ratios to the body-routing Envoy's, and the targets."""
    rows, targets = [], []
    for connections in CONCURRENCIES:
        floor_rps, floor_cost = measured[connections, BODY_ROUTING]
        for name in ROUTERS:
            rps, cost = measured[connections, name]
            rows.append([connections, name, f"{cost / floor_cost:.2f}×", f"{rps / floor_rps:.0%}"])
            targets.append(b.target(f"{name}: Envoy CPU per request vs the body-routing Envoy, {connections} "
                                    "connections", "≤ 1.05×", f"{cost / floor_cost:.2f}×", cost <= 1.05 * floor_cost))
            targets.append(b.target(f"{name}: throughput vs the body-routing Envoy, {connections} connections",
                                    "≥ 95%", f"{rps / floor_rps:.0%}", rps >= 0.95 * floor_rps))
    return ("\nAgainst the body-routing Envoy (same run):\n\n"
            + b.table(["connections", "path", "Envoy CPU per request", "throughput"], rows) + "\n"
            + "  \n".join(targets) + "\n")


def latency(paths, routed_rps):
    results = {path.name: c.constant_rate(path.url, b.CHAT_BODY, RATE, RATE_SECONDS, WARMUP_SECONDS)
               for path in paths}
    points = (50, 90, 99, 99.9)
    at = {name: [b.percentile(r["latencies"], p) for p in points] for name, r in results.items()}
    rows = [[name, len(r["latencies"]), *(b.ms(v, 3) for v in at[name]), b.ms(r["latencies"][-1], 3),
             b.ms(b.percentile(r["lags"], 99), 3), r["connections"]]
            for name, r in results.items()]
    overhead = {}
    for name, base in (("JAiRouter", "direct"), ("JAiRouter", "Envoy alone"), ("JAiRouter", BODY_ROUTING),
                       (ROUTERS[1], BODY_ROUTING)):
        overhead[name, base] = [x - y for x, y in zip(at[name], at[base], strict=True)]
        rows.append([f"**{name} − {base}**", "", *(f"**{b.ms(v, 3)}**" for v in overhead[name, base]), "", "", ""])
    headers = ["path", "requests", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "client lag p99 ms",
               "connections"]
    share = f", {RATE / routed_rps:.0%} of the router's throughput at 16 connections" if routed_rps else ""
    p50, p99 = overhead["JAiRouter", "direct"][0], overhead["JAiRouter", "direct"][2]
    tail = overhead["JAiRouter", "direct"][3]
    return ("### Latency at a fixed rate, below saturation\n\n" + b.table(headers, rows)
            + f"\n{RATE} requests/s for {RATE_SECONDS} s per path{share}, after a {WARMUP_SECONDS} s warm-up at "
            "the same rate. `bench/lib/clients.py` `constant_rate`: open loop (a request starts on schedule "
            "whatever earlier ones do, on an idle keep-alive connection or a new one), latency from writing "
            "the request to the last byte of the answer, exact percentiles over all samples. Client lag is "
            "how late the client started requests against the schedule (asyncio sleeps are "
            "millisecond-grained); it is not part of the latency. The router's overhead is JAiRouter − "
            "direct; JAiRouter − body-routing Envoy is what JAiRouter's configuration adds to reading the model "
            "from the body.\n\n"
            + b.target("router overhead at p50", "< 0.5 ms", f"{b.ms(p50, 3)} ms", p50 < 0.0005) + "  \n"
            + b.target("router overhead at p99", "< 3 ms", f"{b.ms(p99, 3)} ms", p99 < 0.003) + "  \n"
            + b.target("router overhead at p99.9", "≤ 2 ms", f"{b.ms(tail, 3)} ms", tail <= 0.002) + "\n")


def main():
    with b.traffic_setup() as setup:
        backend = urlsplit(setup.direct["bench-chat"])
        envoy_binary = os.readlink(f"/proc/{setup.router.envoy_pid}/exe")
        with b.plain_envoy(envoy_binary, backend.hostname, backend.port) as (plain_url, plain_pid), \
                b.body_routing_envoy(envoy_binary, backend.hostname, backend.port, "bench-chat") as (body_url, body_pid), \
                b.router("router-monitoring-off", MONITORING_OFF + setup.config) as quiet:
            paths = [Path("direct", setup.direct["bench-chat"]),
                     Path("Envoy alone", plain_url + backend.path, plain_pid),
                     Path(BODY_ROUTING, body_url + backend.path, body_pid),
                     Path(ROUTERS[0], setup.routed["bench-chat"], setup.router.envoy_pid),
                     Path(ROUTERS[1], quiet.url + b.OPENAI_PATHS["chat"], quiet.envoy_pid)]
            tput, routed_rps = throughput(paths)
            lat = latency(paths, routed_rps)
    print("## Small chat completions\n")
    chat_backend = (f"nginx answering a fixed {len(b.CHAT_REPLY)}-byte `chat.completion` from memory "
                    "(`bench/lib/benchlib.py` `nginx`), one worker process" if b.NGINX else "the stub backend")
    print(f"A chat request of {len(b.CHAT_BODY)} bytes; the backend is {chat_backend}. Paths: direct to the "
          "backend; through Envoy alone (same binary, a static route and only the router filter, "
          "`benchlib.plain_envoy`); through the body-routing Envoy (Envoy alone plus json_to_metadata reading "
          "`model` and a route matched on it, `benchlib.body_routing_envoy`); through JAiRouter as the demo "
          "ships it (default monitoring: a record per request to the control plane) and with `monitoring.enabled: "
          "false`. Every Envoy runs one worker per core (the default), on the same two cores "
          "as the backend and the load generator.\n")
    print(b.notes(setup.notes) + tput + "\n" + lat)


if __name__ == "__main__":
    main()
