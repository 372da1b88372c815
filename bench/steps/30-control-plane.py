#!/usr/bin/env python3
"""Control plane: start-up to ready, translator time and memory at 10,000 instances, Envoy memory."""
import json
import re
import statistics
import subprocess

import benchlib as b

LARGE = 100 if b.SMOKE else 10_000
SMALL = 10
STARTS = 1 if b.SMOKE else 3
TRANSLATIONS = 2 if b.SMOKE else 6


def translator(config):
    """bench/lib/TranslatorBench.java in its own JVM, on the router's jar: stage times, heap, RSS."""
    argv = ["java", "-cp", str(b.ROUTER_JAR), str(b.REPO / "bench/lib/TranslatorBench.java"), str(config),
            str(TRANSLATIONS)]
    out = subprocess.run(argv, check=True, capture_output=True, text=True, timeout=300).stdout
    return " ".join(argv), json.loads(out)


def heap_used_mib(pid):
    """The JVM's heap in use, as `jcmd GC.heap_info` reports it."""
    info = subprocess.run(["jcmd", str(pid), "GC.heap_info"], check=True, capture_output=True, text=True,
                          timeout=60).stdout
    return int(re.search(r"used (\d+)K", info).group(1)) / 1024


def start(name, config):
    """Starts the router STARTS times: seconds to 'config in force' and to 'ready'; memory of the last."""
    in_force, ready = [], []
    for run in range(STARTS):
        # A fresh work folder each time: in one that a router used, a new one could adopt its Envoy.
        with b.router(f"{name}-{run}", config) as r:
            ready.append(r.running.ready_seconds)
            in_force.append(next(t for t, line in r.running.lines if re.search(r"Config \S+ in force", line)))
            used = heap_used_mib(r.pid)
            subprocess.run(["jcmd", str(r.pid), "GC.run"], check=True, capture_output=True, timeout=60)
            memory = [b.rss_mib(r.pid), b.rss_mib(r.pid, "VmHWM"), used, heap_used_mib(r.pid),
                      b.rss_mib(r.envoy_pid)]
    return in_force, ready, memory


def main():
    sizes = {}
    for count in (SMALL, LARGE):
        path = b.work_path(f"instances-{count}.yml")
        path.write_text(b.instances_config(count))
        sizes[count] = path
    command, t = translator(sizes[LARGE])
    starts = {count: start(f"router-{count}", path.read_text()) for count, path in sizes.items()}

    print("## Control plane\n")
    print(f"Configs from `benchlib.instances_config`: {SMALL} and {LARGE:,} instances, 10 per model, the models "
          "dealt over all seven services, the four load-balancing policies in turn, every instance on its own "
          f"loopback address. The {LARGE:,}-instance config is {t['config_bytes'] / 1024:,.0f} KiB of YAML and "
          f"becomes {t['clusters']:,} clusters and {t['routes']:,} routes. The JVM runs with its default flags.\n")

    print("### Start-up: process start to ready\n")
    rows = []
    for count, (in_force, ready, _) in starts.items():
        envoy = [r - f for f, r in zip(in_force, ready, strict=True)]
        rows.append([f"{count:,}", len(ready), f"{statistics.median(in_force):.2f}",
                     f"{statistics.median(envoy):.2f}", f"{statistics.median(ready):.2f}", f"{min(ready):.2f}",
                     f"{max(ready):.2f}"])
    print(b.table(["instances", "starts", "config in force s (p50)", "then Envoy ready s (p50)", "ready s (p50)",
                   "ready min s", "ready max s"], rows))
    print("From spawning `java -jar jairouter.jar` to its log line `Config … in force` (JVM start, YAML "
          "loaded, translated and published), then to `JAiRouter ready` (xDS server up, Envoy started and "
          "configured over xDS, listener up; the control plane polls Envoy's admin every 50 ms).\n")
    small_ready = statistics.median(starts[SMALL][1])
    print(b.target("control plane ready", "< 2 s", f"{small_ready:.2f} s with {SMALL} instances, "
                   f"{statistics.median(starts[LARGE][1]):.2f} s with {LARGE:,}", small_ready < 2) + "\n")

    print(f"### Translator at {LARGE:,} instances\n")
    stages = ["load + validate YAML", "translate to Envoy resources", "publish snapshot (digests)"]
    rows = [[stage, f"{cold:,.0f}", f"{warm:,.0f}"]
            for stage, cold, warm in zip(stages, t["cold_ms"], t["warm_ms"], strict=True)]
    rows.append(["**total**", f"**{sum(t['cold_ms']):,.0f}**", f"**{sum(t['warm_ms']):,.0f}**"])
    print(b.table(["stage", "first run ms (cold JVM, as at start-up)", f"warm ms (median of runs 2–{TRANSLATIONS})"],
                  rows))
    print(f"In-process timing of the router's own classes (`bench/lib/TranslatorBench.java`). After the runs, "
          f"the config, its resources and the snapshot hold {t['live_heap_mib']:.0f} MiB of live heap; that JVM "
          f"peaked at {t['peak_rss_mib']:.0f} MiB resident.\n")
    print(b.commands_block([command]))

    print("### Memory while serving\n")
    rows = [[f"{count:,}", *(f"{v:.0f}" for v in starts[count][2])] for count in sizes]
    print(b.table(["instances", "control plane RSS MiB", "control plane peak RSS MiB", "heap used MiB",
                   "heap live after full GC MiB", "Envoy RSS MiB"], rows))
    print("Read right after `ready`: RSS and peak (VmHWM) from /proc, heap from `jcmd PID GC.heap_info`, "
          "then again after `jcmd PID GC.run`. A JVM keeps the heap it grew to, so RSS stays well above the "
          "live heap.\n")


if __name__ == "__main__":
    main()
