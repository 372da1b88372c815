#!/usr/bin/env python3
"""What each part of JAiRouter's Envoy config costs per request in CPU time: the config a router generated,
copied into static Envoys, each with one thing removed (configcopy), against the body-routing Envoy.

Each copy is measured at the same time as the body-routing Envoy (two wrk runs at once, one on each), and the
figure is the ratio of their CPU per request within that run: a change in the machine's load (the machine may
be shared) hits both alike, where runs one after the other would see different neighbours.
"""
import contextlib
import os
import statistics
from concurrent.futures import ThreadPoolExecutor

import benchlib as b
import clients as c
import configcopy as cc

# A closer look at some rows (BENCH_CONFIG_COST_ROWS, see configcopy.selected): BENCH_CONFIG_COST_ROUNDS and
# _SECONDS lengthen the measurement.
SECONDS = 1 if b.SMOKE else int(os.environ.get("BENCH_CONFIG_COST_SECONDS", 2))
ROUNDS = 1 if b.SMOKE else int(os.environ.get("BENCH_CONFIG_COST_ROUNDS", 5))
CONNECTIONS = 16


@contextlib.contextmanager
def envoy_copy(name, binary, config):
    path, listen = cc.bootstrap_file(name, config)
    with b.envoy_process(name, binary, path, listen) as pid:
        yield f"http://127.0.0.1:{listen}{cc.CHAT}", pid


def wrk_at_once(urls, seconds):
    """One wrk run on each URL, all at the same time; their summaries in the same order."""
    with ThreadPoolExecutor(len(urls)) as pool:
        return list(pool.map(lambda url: c.wrk(url, b.CHAT_BODY, CONNECTIONS, seconds)[1], urls))


def paired(floor, target):
    """The target's Envoy CPU per request and requests/s as ratios to the floor's, both loaded at the same
    time (after a 1 s warm-up the same way); and the target's CPU µs per request."""
    urls, pids = [floor[0], target[0]], [floor[1], target[1]]
    wrk_at_once(urls, 1)
    before = [b.cpu_seconds(pid) for pid in pids]
    summaries = wrk_at_once(urls, SECONDS)
    us = [(b.cpu_seconds(pid) - cpu) / s["requests"] * 1e6 for pid, cpu, s in zip(pids, before, summaries)]
    return us[1] / us[0], summaries[1]["requests"] / summaries[0]["requests"], us[1]


def main():
    print("## What the generated config costs, one part at a time\n")
    if not c.WRK:
        print("wrk is not installed: not measured (Debian package `wrk`).\n")
        return
    with cc.generated() as generated:
        binary, (host, port) = generated.binary, generated.backend
        with contextlib.ExitStack() as envoys:
            url, pid = envoys.enter_context(b.body_routing_envoy(binary, host, port, "bench-chat"))
            floor, targets = (url + cc.CHAT, pid), {}
            url, pid = envoys.enter_context(b.body_routing_envoy(binary, host, port, "bench-chat", usage=True))
            targets["body-routing Envoy + the JSON usage reader alone"] = (url + cc.CHAT, pid)
            for index, (name, source, change, *on_request) in enumerate(cc.VARIANTS):
                if cc.selected(name, on_request, "BENCH_CONFIG_COST_ROWS"):
                    config = cc.variant(generated.configs, source, change)
                    targets[name] = envoys.enter_context(envoy_copy(f"copy-{index}", binary, config))
            # Rounds alternate over all copies; each copy runs beside the floor (see the module's doc).
            runs = {name: [] for name in targets}
            for _ in range(ROUNDS):
                for name, target in targets.items():
                    runs[name].append(paired(floor, target))
    rows = [["body-routing Envoy", "1.00×", "", "100%", ""]]
    for name, results in runs.items():
        ratios = sorted(r for r, _, _ in results)
        rows.append([name, f"{statistics.median(ratios):.2f}×",
                     f"{ratios[len(ratios) // 4]:.2f}–{ratios[(3 * len(ratios)) // 4]:.2f}",
                     f"{statistics.median(t for _, t, _ in results):.0%}",
                     f"{statistics.median(u for _, _, u in results):.0f}"])
    print(b.notes(generated.notes) + b.table(["config", "Envoy CPU per request vs body-routing (median)",
                                          "quartiles", "requests/s vs body-routing", "Envoy CPU µs/request"], rows)
          + f"\nEach row is a static Envoy serving a copy of the config JAiRouter generated for this run's "
          f"backends (from its Envoy's `/config_dump`, with the bootstrap's overload manager), with the change "
          f"named; each \"…\" row is the \"as generated\" copy above it with that one change. Each copy runs at "
          f"the same time as the body-routing Envoy, wrk with {CONNECTIONS} connections on each for {SECONDS} s "
          f"after 1 s of warm-up, and the ratios are of the two Envoys' CPU per request (user + system time over "
          f"the run) and requests/s within that run; {ROUNDS} rounds alternating over all rows, median and "
          "quartiles of the rounds. Two loads at once share the cores, so the µs column is higher than a "
          "lone Envoy's and only the ratios compare with other steps.\n")


if __name__ == "__main__":
    main()
