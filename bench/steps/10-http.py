#!/usr/bin/env python3
"""Small chat completions: throughput at fixed concurrency, latency at a fixed rate; direct vs router.

Envoy alone (a static route, no JAiRouter filters) is what any Envoy hop costs; the body-routing Envoy (a
static Envoy that only reads `model` from the body and routes on it) is the floor for any router that
routes on the body, so JAiRouter against it is what JAiRouter's own configuration adds.
"""
import os
import statistics
import time
import pathlib
from dataclasses import dataclass
from urllib.parse import urlsplit

import benchlib as b
import clients as c

WARMUP_SECONDS = 1 if b.SMOKE else 3
THROUGHPUT_SECONDS = 1 if b.SMOKE else 10
CONCURRENCIES = (16, 64)
# Far below what the router sustains (see the throughput table), so that latency shows the cost of
# the extra hop and not queueing. Each path is measured in rounds, the paths taking turns (the order
# reversed every other round), so that a stall of the machine lands on one path's round and not on
# one path's whole run: 5 rounds of 6 s give 30,000 samples per path, 30 of them above p99.9.
RATE = 200 if b.SMOKE else 1000
ROUNDS = 2 if b.SMOKE else 5
ROUND_SECONDS = 1 if b.SMOKE else 6
ROUND_WARMUP_SECONDS = 0.5 if b.SMOKE else 1
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


# Slow samples that started less than this apart belong to one stall.
EPISODE_GAP_SECONDS = 0.010


def involuntary_switches(pid):
    """How often the kernel has taken a core from the process's threads while they could still run."""
    total = 0
    for status in pathlib.Path(f"/proc/{pid}/task").glob("*/status"):
        try:
            total += int(next(line.split()[1] for line in status.read_text().splitlines()
                              if line.startswith("nonvoluntary_ctxt_switches")))
        except (FileNotFoundError, ProcessLookupError):
            pass  # a thread that ended meanwhile
    return total


def cpu_waiting_us():
    """Microseconds so far in which some runnable task waited for a core (/proc/pressure/cpu), or None."""
    try:
        return int(pathlib.Path("/proc/pressure/cpu").read_text().split("total=")[1].split()[0])
    except (OSError, IndexError):
        return None


def measure_in_rounds(paths):
    """Open-loop runs of every path in turns; returns each path's rounds (constant_rate results, with how
    often the client and the path's Envoy were preempted and how long tasks waited for a core)."""
    rounds = {path.name: [] for path in paths}
    for r in range(ROUNDS):
        for path in paths if r % 2 == 0 else paths[::-1]:
            pids = [os.getpid()] + ([path.envoy_pid] if path.envoy_pid else [])
            switches, waited, began = [involuntary_switches(p) for p in pids], cpu_waiting_us(), time.monotonic()
            run = c.constant_rate(path.url, b.CHAT_BODY, RATE, ROUND_SECONDS, ROUND_WARMUP_SECONDS)
            run["preempted"] = [involuntary_switches(p) - s for p, s in zip(pids, switches, strict=True)]
            run["waiting_share"] = None if waited is None else (
                (cpu_waiting_us() - waited) / 1e6 / (time.monotonic() - began))
            rounds[path.name].append(run)
    return rounds


def tail_anatomy(rounds, pooled):
    """Where each path's slowest 0.1% lie: how many stalls they form, and what the scheduler did."""
    rows = []
    for name, runs in rounds.items():
        threshold = b.percentile(pooled[name], 99.9)
        episodes = []
        for run in runs:
            previous = None
            for at, latency in run["timeline"]:
                if latency < threshold:
                    continue
                if previous is None or at - previous > EPISODE_GAP_SECONDS:
                    episodes.append(0)
                episodes[-1] += 1
                previous = at
        requests = sum(len(run["latencies"]) for run in runs) / 1000
        client = sum(run["preempted"][0] for run in runs) / requests
        envoy = (f"{sum(run['preempted'][1] for run in runs) / requests:.1f}"
                 if len(runs[0]["preempted"]) > 1 else "–")
        shares = [run["waiting_share"] for run in runs if run["waiting_share"] is not None]
        rows.append([name, sum(episodes), len(episodes), max(episodes, default=0),
                     f"{client:.1f}", envoy, f"{statistics.median(shares):.0%}" if shares else "–"])
    return ("\nWhere the tail lies (same runs): the samples at or above each path's own p99.9, grouped into "
            f"stalls (slow samples that started under {EPISODE_GAP_SECONDS * 1000:.0f} ms apart), and the "
            "kernel's involuntary context switches (a runnable thread losing its core) of the load generator "
            "and of the path's Envoy per 1,000 requests, with the share of the time some task waited for a core "
            "(`/proc/pressure/cpu`, the whole machine, median over rounds).\n\n"
            + b.table(["path", "samples ≥ p99.9", "stalls", "largest stall (requests)",
                       "client preempted / 1k req", "Envoy preempted / 1k req", "time a task waited for a core"],
                      rows))


def tail_over_rounds(runs, base_runs):
    """The median over rounds of (this path's p99.9 − the base path's p99.9 in the same round)."""
    return statistics.median(b.percentile(mine["latencies"], 99.9) - b.percentile(base["latencies"], 99.9)
                             for mine, base in zip(runs, base_runs, strict=True))


def latency(paths, routed_rps):
    rounds = measure_in_rounds(paths)
    pooled = {name: sorted(x for run in runs for x in run["latencies"]) for name, runs in rounds.items()}
    points = (50, 90, 99, 99.9)
    at = {name: [b.percentile(samples, p) for p in points] for name, samples in pooled.items()}
    rows = []
    for name, runs in rounds.items():
        per_round = sorted(b.percentile(run["latencies"], 99.9) for run in runs)
        lag = b.percentile(sorted(x for run in runs for x in run["lags"]), 99)
        rows.append([name, len(pooled[name]), *(b.ms(v, 3) for v in at[name]),
                     f"{b.ms(statistics.median(per_round), 3)} ({b.ms(per_round[0], 3)}–{b.ms(per_round[-1], 3)})",
                     b.ms(pooled[name][-1], 3), b.ms(lag, 3), max(run["connections"] for run in runs)])
    overhead, tail = {}, {}
    for name, base in (("JAiRouter", "direct"), ("Envoy alone", "direct"), ("JAiRouter", "Envoy alone"),
                       ("JAiRouter", BODY_ROUTING), (ROUTERS[1], BODY_ROUTING)):
        overhead[name, base] = [x - y for x, y in zip(at[name], at[base], strict=True)]
        tail[name, base] = tail_over_rounds(rounds[name], rounds[base])
        rows.append([f"**{name} − {base}**", "", *(f"**{b.ms(v, 3)}**" for v in overhead[name, base]),
                     f"**{b.ms(tail[name, base], 3)}**", "", "", ""])
    headers = ["path", "requests", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "p99.9 per round ms: median (min–max)",
               "max ms", "client lag p99 ms", "connections"]
    share = f", {RATE / routed_rps:.0%} of the router's throughput at 16 connections" if routed_rps else ""
    p50, p99 = overhead["JAiRouter", "direct"][0], overhead["JAiRouter", "direct"][2]
    p999 = tail["JAiRouter", "direct"]
    return ("### Latency at a fixed rate, below saturation\n\n" + b.table(headers, rows)
            + f"\n{RATE} requests/s, {ROUNDS} rounds of {ROUND_SECONDS} s per path, the paths taking turns (order "
            f"reversed every other round){share}, each run after a {ROUND_WARMUP_SECONDS} s warm-up at the same rate. "
            "`bench/lib/clients.py` `constant_rate`: open loop (a request starts on schedule "
            "whatever earlier ones do, on an idle keep-alive connection or a new one), latency from writing "
            "the request to the last byte of the answer, exact percentiles over all samples of a path (the "
            "p50–p99.9 columns) and, for p99.9, also per round. Client lag is "
            "how late the client started requests against the schedule (asyncio sleeps are "
            "millisecond-grained); it is not part of the latency. The router's overhead is JAiRouter − "
            "direct; Envoy alone − direct is what any Envoy hop costs on this machine, the floor under it; "
            "JAiRouter − body-routing Envoy is what JAiRouter's configuration adds to reading the model "
            "from the body. In the overhead rows the per-round column is the median over rounds of the two "
            "paths' p99.9 difference within a round, which is what the p99.9 target reads: a p99.9 rests on "
            "the slowest 0.1% of samples, so one stall of the machine moves a single run's "
            "(bench/notes.md, \"Latency tails\").\n\n"
            + tail_anatomy(rounds, pooled) + "\n"
            + b.target("router overhead at p50", "< 0.5 ms", f"{b.ms(p50, 3)} ms", p50 < 0.0005) + "  \n"
            + b.target("router overhead at p99", "< 3 ms", f"{b.ms(p99, 3)} ms", p99 < 0.003) + "  \n"
            + b.target("router overhead at p99.9 (median over rounds)", "≤ 2 ms", f"{b.ms(p999, 3)} ms",
                       p999 <= 0.002) + "\n")


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
