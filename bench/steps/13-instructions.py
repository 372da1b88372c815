#!/usr/bin/env python3
"""What each part of JAiRouter's Envoy config costs per request in instructions: the same copies as
12-config-cost (configcopy), each Envoy run under valgrind's callgrind, which counts the user-space
instructions it executes. The count for a config and a request is the same in every run whatever else the
machine does, where CPU time moves with the machine's load and with how requests batch; it leaves out the
kernel's work (socket reads and writes), which every config here shares.
"""
import http.client
import os
import re
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import benchlib as b
import clients
import configcopy as cc

VALGRIND = shutil.which("valgrind")
REQUESTS = 20 if b.SMOKE else 500
WARM_UP = 5 if b.SMOKE else 100
CONNECTIONS = 4
# The smoke run keeps the step alive with the rows the report's reading rests on; these rows are also counted
# under wrk's concurrent load, where 10-http's CPU-time ratios grow at 64 connections.
SMOKE_ROWS = ("body-routing Envoy", "monitoring off: as generated", "default monitoring: as generated")
LOADED_CONNECTIONS = (16, 64)
LOADED_SECONDS = 3 if b.SMOKE else 10
# A row takes about a minute under valgrind (Envoy's start most of it), so by default the step counts the parts
# that cost more than 1% in its first runs (bench/notes.md), which keeps it within bench/run's step limit.
DEFAULT_ROWS = ("as generated", "without the body buffer filter", "without retry policy",
                "without the connection manager's settings", "without the access log", "without the usage readers",
                "without the JSON usage reader")


def post(connections, count):
    """count chat requests, spread over the keep-alive connections one at a time; the statuses seen."""
    statuses = set()
    for i in range(count):
        connection = connections[i % len(connections)]
        connection.request("POST", cc.CHAT, b.CHAT_BODY, {"content-type": "application/json"})
        response = connection.getresponse()
        response.read()
        statuses.add(response.status)
    return statuses


def until_served(connections, timeout=180.0):
    """Until a request is answered 200: a copy's instance waits for its first health check, which under
    valgrind takes seconds."""
    deadline = time.monotonic() + timeout
    while post(connections, 1) != {200}:
        if time.monotonic() > deadline:
            raise RuntimeError("the copy never answered 200")
        time.sleep(0.5)


def instructions_per_request(name, binary, config_file, listen, loaded):
    """Envoy (one worker) under callgrind on config_file: the instructions it executed per request, counted
    over REQUESTS chat requests after WARM_UP (the counters are zeroed in between); with `loaded`, also over
    LOADED_SECONDS of wrk at each of LOADED_CONNECTIONS. Returns {"one at a time" or connections: count}."""
    out = b.work_path(f"callgrind-{name}")
    argv = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}.%p", binary, "-c", config_file,
            "--concurrency", "1", "--disable-hot-restart", "--log-level", "error"]
    with b.process(f"callgrind-{name}", argv) as running:
        started = time.monotonic()
        b.wait_port(listen, timeout=300)
        pid = str(running.proc.pid)

        def counted(load):
            """The instructions per request of load() (which returns how many requests it made), or None when
            it completed none."""
            subprocess.run(["callgrind_control", "-z", pid], check=True, capture_output=True)
            before = set(out.parent.glob(f"{out.name}.{pid}.*"))
            requests = load()
            subprocess.run(["callgrind_control", "-d", pid], check=True, capture_output=True)
            dump, = set(out.parent.glob(f"{out.name}.{pid}.*")) - before
            total = re.search(r"^(?:summary|totals): (\d+)", dump.read_text(), re.M)
            return int(total.group(1)) / requests if requests else None

        def counted_under_wrk(load):
            """counted() over wrk at `load` connections, for longer each time none completed: under callgrind on a
            busy machine (a CI run beside other work) a few seconds of wrk can end before any answer."""
            for seconds in (LOADED_SECONDS, 4 * LOADED_SECONDS, 16 * LOADED_SECONDS):
                count = counted(lambda: clients.wrk(url, b.CHAT_BODY, load, seconds)[1]["requests"])
                if count is not None:
                    return count
            raise RuntimeError(f"{name}: wrk at {load} connections completed no request in {seconds} s")

        connections = [http.client.HTTPConnection("127.0.0.1", listen, timeout=120) for _ in range(CONNECTIONS)]
        until_served(connections)
        post(connections, WARM_UP)
        counts = {"one at a time": counted(lambda: served(post(connections, REQUESTS), REQUESTS))}
        url = f"http://127.0.0.1:{listen}{cc.CHAT}"
        for load in LOADED_CONNECTIONS if loaded and clients.WRK else ():
            clients.wrk(url, b.CHAT_BODY, load, 2)  # warm-up at this concurrency
            counts[load] = counted_under_wrk(load)
        # Killed: a graceful exit under valgrind takes seconds and writes a dump nobody reads.
        running.proc.kill()
        b.log(f"{name}: counted in {time.monotonic() - started:.0f} s")
        return counts


def served(statuses, requests):
    """requests, once every answer was a 200."""
    if statuses != {200}:
        raise RuntimeError(f"answers {sorted(statuses)} while counting")
    return requests


def rows_to_measure(generated):
    """(name, parent row or None, config file, listen port) of every row: the two static Envoys, then the
    copies. A "…" row's parent is the "as generated" row above it."""
    host, port = generated.backend
    rows = [(name, parent, *config[1:]) for name, parent, config in [
        ("Envoy alone", None, b.plain_envoy_config(host, port)),
        ("body-routing Envoy", None, b.body_routing_envoy_config(host, port, "bench-chat")),
        ("body-routing Envoy + the JSON usage reader alone", "body-routing Envoy",
         b.body_routing_envoy_config(host, port, "bench-chat", usage=True))] if not b.SMOKE or name in SMOKE_ROWS]
    parent = None
    for index, (name, source, change, *on_request) in enumerate(cc.VARIANTS):
        if not name.startswith("…"):
            parent = name
        if b.SMOKE:
            wanted = name in SMOKE_ROWS
        elif os.environ.get("BENCH_INSTRUCTIONS_ROWS"):
            wanted = cc.selected(name, on_request, "BENCH_INSTRUCTIONS_ROWS")
        else:
            wanted = any(part in name for part in DEFAULT_ROWS)
        if wanted:
            path, listen = cc.bootstrap_file(f"counted-{index}", cc.variant(generated.configs, source, change))
            rows.append((name, parent if name.startswith("…") else None, path, listen))
    return rows


def main():
    print("## What the generated config costs, in instructions\n")
    if not VALGRIND:
        print("valgrind is not installed: not measured (Debian package `valgrind`).\n")
        return
    with cc.generated() as generated:
        rows = rows_to_measure(generated)
        # One valgrind per core: each runs Envoy's threads one at a time, and the counts do not depend on
        # what runs beside them.
        with ThreadPoolExecutor(2) as pool:
            counted = pool.map(lambda item: instructions_per_request(
                f"row-{item[0]}", generated.binary, *item[1][2:], loaded=item[1][0] in SMOKE_ROWS), enumerate(rows))
            counts = dict(zip([name for name, *_ in rows], counted))
    floor = counts["body-routing Envoy"]
    table = []
    for name, parent, *_ in rows:
        alone = counts[name]["one at a time"]
        change = f"{(alone - counts[parent]['one at a time']) / 1000:+.1f}" if parent in counts else ""
        table.append([name, f"{alone / 1000:.1f}", f"{alone / floor['one at a time']:.2f}×", change])
    loads = ["one at a time", *LOADED_CONNECTIONS]
    loaded = [[name, *(f"{counts[name][load] / 1000:.1f} ({counts[name][load] / floor[load]:.2f}×)" for load in loads)]
              for name, *_ in rows if len(counts[name]) > 1]
    if not clients.WRK:
        generated.notes.append("wrk is not installed: the rows under concurrent load are not counted "
                               "(Debian package `wrk`).")
    print(b.notes(generated.notes) + b.table(
        ["config", "thousand instructions per request", "vs body-routing", "change vs its parent row"], table)
        + f"\nEach row is Envoy with one worker under `valgrind --tool=callgrind` serving the config named (the "
        f"static Envoys of 10-http, and the copies of 12-config-cost: each \"…\" row is the \"as generated\" "
        f"copy above it, its parent, with that one change), counted over {REQUESTS} small chat completions on "
        f"{CONNECTIONS} keep-alive connections, one request at a time, after {WARM_UP} uncounted ones. The "
        "count is user-space instructions only (no kernel time, no cache misses), the same from run to run "
        "within about 1% (timers such as health checks and the records' flush run in the counted span); "
        "by default the rows of the parts that cost more than 1%; `BENCH_INSTRUCTIONS_ROWS` (as "
        "`BENCH_CONFIG_COST_ROWS` for 12-config-cost) counts others.\n")
    if loaded:
        print("### Under concurrent load\n\n"
              + b.table(["config", *(f"{load} connections" if load in LOADED_CONNECTIONS else load for load in loads)],
                        loaded)
              + f"\nThousand instructions per request (and the ratio to the body-routing Envoy) of the same Envoys, "
              f"counted also over {LOADED_SECONDS} s of wrk at each number of connections, after 2 s of warm-up at it, "
              "per request wrk completed (the requests still in flight when it stops are counted in instructions only: "
              "about 2% at 64 connections, alike for every row). 10-http's CPU-time ratios grow from 16 to 64 "
              "connections; where these ratios do not, the growth is not in more instructions per request.\n")


if __name__ == "__main__":
    main()
