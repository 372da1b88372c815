#!/usr/bin/env python3
"""Small chat completions: throughput at fixed concurrency, latency at a fixed rate; direct vs router."""
import benchlib as b
import clients as c

WARMUP_SECONDS = 1 if b.SMOKE else 3
THROUGHPUT_SECONDS = 1 if b.SMOKE else 10
CONCURRENCIES = (16, 64)
# Far below what the router sustains (see the throughput table), so that latency shows the cost of
# the extra hop and not queueing; 30 s gives 30,000 samples, 300 of them above p99.
RATE = 200 if b.SMOKE else 1000
RATE_SECONDS = 1 if b.SMOKE else 30


def us_as_ms(microseconds):
    return f"{microseconds / 1000:.3f}"


def paths(setup):
    return (("direct", setup.direct["bench-chat"]), ("JAiRouter", setup.routed["bench-chat"]))


def throughput(setup):
    """wrk against each path; Envoy's CPU time is read around each run to give its cost per request.

    Returns (markdown, the router's requests/s at the lower concurrency or None).
    """
    title = "### Throughput at fixed concurrency\n\n"
    if not c.WRK:
        return (title + "wrk is not installed: throughput not measured (Debian package `wrk`; outside "
                "smoke mode `bench/run` installs it).\n"), None
    rows, commands, routed_rps = [], [], None
    for connections in CONCURRENCIES:
        for path, url in paths(setup):
            c.wrk(url, b.CHAT_BODY, connections, WARMUP_SECONDS)
            envoy_cpu = b.cpu_seconds(setup.router.envoy_pid)
            command, s = c.wrk(url, b.CHAT_BODY, connections, THROUGHPUT_SECONDS)
            envoy_cpu = b.cpu_seconds(setup.router.envoy_pid) - envoy_cpu
            rps = s["requests"] / s["duration_us"] * 1e6
            routed = path == "JAiRouter"
            if routed and connections == CONCURRENCIES[0]:
                routed_rps = rps
            rows.append([connections, path, f"{rps:,.0f}", us_as_ms(s["p50_us"]), us_as_ms(s["p90_us"]),
                         us_as_ms(s["p99_us"]), s["errors"] + s["non_2xx"],
                         f"{envoy_cpu / s['requests'] * 1e6:.0f}" if routed else "–"])
            commands.append(command)
    headers = ["connections", "path", "requests/s", "p50 ms", "p90 ms", "p99 ms", "errors", "Envoy CPU µs/request"]
    return (title + b.table(headers, rows)
            + f"\nwrk runs {THROUGHPUT_SECONDS} s per row after a {WARMUP_SECONDS} s warm-up, one thread, "
            "keep-alive connections (the body is set by the Lua script). Its latencies here are at "
            "saturation, so they are mostly queueing; the next table has latency below saturation.\n"
            + b.commands_block(commands)), routed_rps


def latency(setup, routed_rps):
    results = {path: c.constant_rate(url, b.CHAT_BODY, RATE, RATE_SECONDS, WARMUP_SECONDS)
               for path, url in paths(setup)}
    points = (50, 90, 99, 99.9)
    at = {path: [b.percentile(r["latencies"], p) for p in points] for path, r in results.items()}
    rows = [[path, len(r["latencies"]), *(b.ms(v, 3) for v in at[path]), b.ms(r["latencies"][-1], 3),
             b.ms(b.percentile(r["lags"], 99), 3), r["connections"], r["errors"]]
            for path, r in results.items()]
    overhead = [routed - direct for routed, direct in zip(at["JAiRouter"], at["direct"], strict=True)]
    rows.append(["**overhead**", "", *(f"**{b.ms(v, 3)}**" for v in overhead), "", "", "", ""])
    headers = ["path", "requests", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "client lag p99 ms",
               "connections", "errors"]
    share = f", {RATE / routed_rps:.0%} of the router's throughput at 16 connections" if routed_rps else ""
    return ("### Latency at a fixed rate, below saturation\n\n" + b.table(headers, rows)
            + f"\n{RATE} requests/s for {RATE_SECONDS} s{share}, after a {WARMUP_SECONDS} s warm-up at the "
            "same rate. `bench/lib/clients.py` `constant_rate`: open loop (a request starts on schedule "
            "whatever earlier ones do, on an idle keep-alive connection or a new one), latency from writing "
            "the request to the last byte of the answer, exact percentiles over all samples. Client lag is "
            "how late the client started requests against the schedule (asyncio sleeps are "
            "millisecond-grained); it is not part of the latency.\n\n"
            + b.target("router overhead at p50", "< 0.5 ms", f"{b.ms(overhead[0], 3)} ms", overhead[0] < 0.0005)
            + "  \n"
            + b.target("router overhead at p99", "< 3 ms", f"{b.ms(overhead[2], 3)} ms", overhead[2] < 0.003)
            + "\n")


def main():
    with b.traffic_setup() as setup:
        tput, routed_rps = throughput(setup)
        lat = latency(setup, routed_rps)
    print("## Small chat completions\n")
    backend = (f"nginx answering a fixed {len(b.CHAT_REPLY)}-byte `chat.completion` from memory "
               "(`bench/lib/benchlib.py` `nginx`), one worker process" if b.NGINX else "the stub backend")
    print(f"A {len(b.CHAT_BODY)}-byte chat request; the backend is {backend}. Envoy runs with one worker "
          "per core (the default), on the same two cores as the backend and the load generator.\n")
    print(b.notes(setup.notes) + tput + "\n" + lat)


if __name__ == "__main__":
    main()
