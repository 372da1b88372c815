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
    argv = ["java", *b.ROUTER_JVM, "-cp", str(b.ROUTER_JAR), str(b.REPO / "bench/lib/TranslatorBench.java"), str(config),
            str(TRANSLATIONS)]
    out = subprocess.run(argv, check=True, capture_output=True, text=True, timeout=300).stdout
    return " ".join(argv), json.loads(out)


def heap_used_mib(pid):
    """The JVM's heap in use, as `jcmd GC.heap_info` reports it: G1's one heap, or the serial GC's generations."""
    info = subprocess.run(["jcmd", str(pid), "GC.heap_info"], check=True, capture_output=True, text=True,
                          timeout=60).stdout
    return sum(int(used) for used in re.findall(r"(?:heap|generation)\s+total \d+K, used (\d+)K", info)) / 1024


def start(name, config):
    """Starts the router STARTS times.

    Returns, per start, (seconds to 'config in force', seconds to 'ready', CPU seconds the control plane
    and Envoy had used at ready), and the memory figures of the last start.
    """
    starts = []
    for run in range(STARTS):
        # A fresh work folder each time: in one that a router used, a new one could adopt its Envoy.
        with b.router(f"{name}-{run}", config) as r:
            in_force = next(t for t, line in r.running.lines if re.search(r"Config \S+ in force", line))
            starts.append((in_force, r.running.ready_seconds, b.cpu_seconds(r.pid), b.cpu_seconds(r.envoy_pid)))
            used = heap_used_mib(r.pid)
            subprocess.run(["jcmd", str(r.pid), "GC.run"], check=True, capture_output=True, timeout=60)
            memory = [b.rss_mib(r.pid), b.rss_mib(r.pid, "VmHWM"), used, heap_used_mib(r.pid),
                      b.rss_mib(r.envoy_pid)]
    return starts, memory


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
          f"becomes {t['clusters']:,} clusters and {t['routes']:,} routes. The JVM runs as `run-demo.sh` runs it: "
          "`control-plane/jvm.options` (G1, C1 only, fixed young generation, heap that shrinks back) and the "
          "build's class-data-sharing archive `control-plane/target/jairouter.jsa` (made by a start to ready).\n")

    print("### Start-up: process start to ready\n")
    rows, ready = [], {}
    for count, (runs, _) in starts.items():
        in_force, ready[count], cp_cpu, envoy_cpu = zip(*runs, strict=True)
        rows.append([f"{count:,}", len(runs), *(f"{statistics.median(v):.2f}" for v in (
            in_force, [r - f for f, r in zip(in_force, ready[count], strict=True)], ready[count])),
            f"{min(ready[count]):.2f}", f"{max(ready[count]):.2f}",
            f"{statistics.median(cp_cpu):.2f}", f"{statistics.median(envoy_cpu):.2f}"])
    print(b.table(["instances", "starts", "config in force s", "then Envoy ready s", "ready s", "ready min s",
                   "ready max s", "control plane CPU s", "Envoy CPU s"], rows))
    print("From spawning `java @control-plane/jvm.options … -jar jairouter.jar` to its log line `Config … in force` (JVM start, YAML "
          "loaded, translated and published), then to `JAiRouter ready` (xDS server up, Envoy started and "
          "configured over xDS, listener up; the control plane polls Envoy's admin every 50 ms). Medians "
          "of the starts, except min and max. CPU: what each process had used when ready, all threads; "
          "on two cores, a start whose wall time is far above its CPU time waited for the machine.\n")
    small_ready, large_ready = statistics.median(ready[SMALL]), statistics.median(ready[LARGE])
    print(b.target("control plane ready", f"≤ 1 s with {SMALL} instances, ≤ 3 s with {LARGE:,}",
                   f"{small_ready:.2f} s with {SMALL}, {large_ready:.2f} s with {LARGE:,}",
                   small_ready <= 1 and large_ready <= 3) + "\n")

    print(f"### Translator at {LARGE:,} instances\n")
    stages = ["load + validate YAML", "translate to Envoy resources", "publish snapshot (digests)", "**total**"]
    # cold and warm: three wall times, then three CPU times; rows are stages, columns those four figures
    columns = [t["cold"][:3], t["cold"][3:], t["warm"][:3], t["warm"][3:]]
    columns = [values + [sum(values)] for values in columns]
    rows = [[stage, *(f"{column[i]:,.0f}" for column in columns)] for i, stage in enumerate(stages)]
    print(b.table(["stage", "first run ms (cold JVM, as at start-up)", "its CPU ms",
                   f"warm ms (median of runs 2–{TRANSLATIONS})", "its CPU ms"], rows))
    print(f"In-process timing of the router's own classes (`bench/lib/TranslatorBench.java`); CPU is the "
          "whole JVM's (JIT compiler and GC threads included), which neighbours on the machine barely change "
          "while they stretch wall times. After the runs, "
          f"the config, its resources and the snapshot hold {t['live_heap_mib']:.0f} MiB of live heap; that JVM "
          f"peaked at {t['peak_rss_mib']:.0f} MiB resident.\n")
    print(b.commands_block([command]))

    print("### Memory while serving\n")
    rows = [[f"{count:,}", *(f"{v:.0f}" for v in memory)] for count, (_, memory) in starts.items()]
    print(b.table(["instances", "control plane RSS MiB", "control plane peak RSS MiB", "heap used MiB",
                   "heap live after full GC MiB", "Envoy RSS MiB"], rows))
    small_rss, large_rss = starts[SMALL][1][0], starts[LARGE][1][0]
    print(b.target("control plane RSS", f"≤ 130 MiB with {SMALL} instances, ≤ 250 MiB with {LARGE:,}",
                   f"{small_rss:.0f} MiB with {SMALL}, {large_rss:.0f} MiB with {LARGE:,}",
                   small_rss <= 130 and large_rss <= 250) + "\n")
    print("Read right after `ready`: RSS and peak (VmHWM) from /proc, heap from `jcmd PID GC.heap_info`, "
          "then again after `jcmd PID GC.run`. A JVM keeps the heap it grew to, so RSS stays well above the "
          "live heap.\n")


if __name__ == "__main__":
    main()
