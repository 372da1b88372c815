#!/usr/bin/env python3
"""Reload latency: from the config file's rename to Envoy serving the new config."""
import http.client
import json
import os
import re
import time

import benchlib as b

SIZES = [10] if b.SMOKE else [10, 1_000, 10_000]
EDITS = 3 if b.SMOKE else 30
POLL_SECONDS = 0.001
GIVE_UP_SECONDS = 30
IDLE_SECONDS = 0.5 if b.SMOKE else 3


def with_probe_models(config, count, stub_url):
    """The config plus chat models probe-0..probe-(count-1), each served by the stub backend."""
    probes = "".join(f'        - name: "probe-{i}"\n          base-url: "{stub_url}"\n' for i in range(count))
    return re.sub(r"(    chat:\n(?:      .*\n)*?      instances:\n)", lambda m: m.group(1) + probes, config, count=1)


def write_as_editors_do(path, text):
    """Writes a new file beside the config and renames it over: the moment the edit exists."""
    staged = path.with_suffix(".staged")
    staged.write_text(text)
    started = time.perf_counter()
    os.replace(staged, path)
    return started


def served(conn, model):
    """True once the router answers a chat completion for the model (404 while it does not know it)."""
    body = json.dumps({"model": model, "messages": [{"role": "user", "content": "hi"}]})
    conn.request("POST", "/v1/chat/completions", body, {"content-type": "application/json"})
    response = conn.getresponse()
    response.read()
    return response.status == 200


def idle_cpu(router):
    """CPU seconds per second the control plane and Envoy use with no edit: health checks, admin polls."""
    before = b.cpu_seconds(router.pid), b.cpu_seconds(router.envoy_pid), time.perf_counter()
    time.sleep(IDLE_SECONDS)
    elapsed = time.perf_counter() - before[2]
    return (b.cpu_seconds(router.pid) - before[0]) / elapsed, (b.cpu_seconds(router.envoy_pid) - before[1]) / elapsed


def measure(size, stub_url):
    """Per edit: seconds from rename to served, and the control plane's and Envoy's CPU seconds meanwhile."""
    base = b.instances_config(size)
    name = f"reload-{size}"
    latencies, cpu = [], []
    with b.router(name, with_probe_models(base, 1, stub_url)) as router:
        host, port = router.url.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        config = b.work_path(f"{name}.yml")
        idle = idle_cpu(router)
        for edit in range(1, EDITS + 1):
            # Each edit adds a model: a new cluster, its endpoints and a new route (CDS, EDS, RDS).
            cpu_before = b.cpu_seconds(router.pid), b.cpu_seconds(router.envoy_pid)
            started = write_as_editors_do(config, with_probe_models(base, edit + 1, stub_url))
            while not served(conn, f"probe-{edit}"):
                if time.perf_counter() - started > GIVE_UP_SECONDS:
                    raise RuntimeError(f"edit {edit} at {size} instances not served after {GIVE_UP_SECONDS} s")
                time.sleep(POLL_SECONDS)
            latencies.append(time.perf_counter() - started)
            cpu.append((b.cpu_seconds(router.pid) - cpu_before[0], b.cpu_seconds(router.envoy_pid) - cpu_before[1]))
        conn.close()
    return sorted(latencies), cpu, idle


def main():
    with b.stub_backends("reload-probe") as stubs:
        rows = []
        for size in SIZES:
            b.log(f"reload: {EDITS} edits at {size} instances")
            latencies, cpu, idle = measure(size, stubs["reload-probe"])
            median, p99 = b.percentile(latencies, 50), b.percentile(latencies, 99)
            router_cpu = sorted(c[0] for c in cpu)
            envoy_cpu = sorted(c[1] for c in cpu)
            rows.append([f"{size:,}", EDITS, b.ms(median, 0), b.ms(b.percentile(latencies, 90), 0), b.ms(p99, 0),
                         b.ms(latencies[-1], 0), b.ms(b.percentile(router_cpu, 50), 0),
                         b.ms(b.percentile(envoy_cpu, 50), 0), b.ms(idle[0], 0), b.ms(idle[1], 0)])
            if size == 1_000:
                b.target("reload p99 at 1,000 instances", "< 1000 ms", b.ms(p99, 0) + " ms", p99 < 1.0)
            if size == 10_000:
                b.target("reload p99 at 10,000 instances (one model added)", "≤ 300 ms", b.ms(p99, 0) + " ms",
                         p99 <= 0.3)
    print("## Reload: file write to Envoy serving the new config\n")
    print("Each edit adds one chat model (a new cluster, its endpoints and a route) to a config of N other")
    print("instances, written as editors save (a new file renamed over the old). The time runs from the")
    print("rename until a chat completion for the new model answers 200 through the router, polled every")
    print("millisecond on one keep-alive connection. The control plane watches the folder and debounces")
    print("bursts for 50 ms, so that is the floor. The CPU columns are the median CPU time the control plane and")
    print("Envoy used from the rename until the edit was served (all their threads, from /proc): on a busy")
    print("machine the wall times grow with the neighbours' load, the CPU times barely do. They include what")
    print("both do without any edit (health checks of every instance, the control plane's admin polls), shown")
    print("in the idle columns as CPU ms per second, measured for a few seconds before the edits.\n")
    print(b.table(["instances", "edits", "median ms", "p90 ms", "p99 ms", "max ms", "control-plane CPU ms",
                   "Envoy CPU ms", "idle control-plane CPU ms/s", "idle Envoy CPU ms/s"], rows))


main()
