#!/usr/bin/env python3
"""A fleet of Envoys on one control plane: an edit served by all, the control plane's cost with all
connected, and a control-plane restart under traffic through every Envoy."""
import http.client
import json
import os
import signal
import subprocess
import threading
import time
from contextlib import ExitStack

import benchlib as b

ENVOYS = 2 if b.SMOKE else 20
EDITS = 1 if b.SMOKE else 10
IDLE_SECONDS = 2 if b.SMOKE else 10
DOWN_SECONDS = 1 if b.SMOKE else 3      # how long the control plane stays dead under traffic
AFTER_SECONDS = 1 if b.SMOKE else 3     # traffic once every Envoy took the restarted one's config
POLL_SECONDS = 0.02      # per Envoy: 20 pollers at 2 ms would take most of the 2 cores themselves
GIVE_UP_SECONDS = 60
TRAFFIC_MODEL = "fleet"


def config(stub_url, probes):
    """The traffic model plus chat models probe-1..probe-<probes>, all served by the stub."""
    names = [TRAFFIC_MODEL] + [f"probe-{i}" for i in range(1, probes + 1)]
    return ("server:\n  address: 127.0.0.1\n  port: 0\nmodel:\n  services:\n    chat:\n      instances:\n"
            + "".join(f'        - name: "{n}"\n          base-url: "{stub_url}"\n' for n in names))


def chat(conn, model):
    """The status and body of one chat completion on a keep-alive connection."""
    body = json.dumps({"model": model, "messages": [{"role": "user", "content": "hi"}]})
    conn.request("POST", "/v1/chat/completions", body, {"content-type": "application/json"})
    response = conn.getresponse()
    return response.status, response.read()


def get_json(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        return json.loads(conn.getresponse().read())
    finally:
        conn.close()


def listener_port(admin_port):
    """The port the Envoy's listener bound (the config says 0), once it is up."""
    for listener in get_json(admin_port, "/listeners?format=json").get("listener_statuses", []):
        port = listener.get("local_address", {}).get("socket_address", {}).get("port_value", 0)
        if listener.get("name") == "jairouter_http" and port:
            return port
    return None


def await_value(what, look, timeout=GIVE_UP_SECONDS):
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        try:
            value = look()
        except OSError:
            value = None
        if value:
            return value
        time.sleep(0.05)
    raise RuntimeError(f"{what}: not after {timeout} s")


def extra_envoys(stack, binary, xds_port, count):
    """Envoys started here on the bootstrap `jairouter bootstrap` prints, as a fleet runs them: their ports."""
    bootstrap = subprocess.run(
        ["java", "-jar", b.ROUTER_JAR, "bootstrap", "--node-id", "NODE", "--xds-address", "127.0.0.1",
         "--xds-port", str(xds_port), "--admin-port", "0"], check=True, capture_output=True, text=True).stdout
    ports = []
    for i in range(count):
        folder = b.work_path(f"envoy-{i}")
        folder.mkdir(exist_ok=True)
        (folder / "bootstrap.yaml").write_text(bootstrap.replace("id: NODE", f"id: fleet-{i}"))
        stack.enter_context(b.process(f"envoy-{i}", [
            binary, "-c", folder / "bootstrap.yaml", "--disable-hot-restart", "--log-level", "warning",
            "--concurrency", 1, "--admin-address-path", folder / "admin-address"]))
    for i in range(count):
        address = b.work_path(f"envoy-{i}") / "admin-address"
        admin = await_value(f"envoy-{i} admin", lambda: address.exists() and address.read_text().strip())
        ports.append(await_value(f"envoy-{i} listener", lambda: listener_port(int(admin.rsplit(":", 1)[1]))))
    return ports


def served_by_all(ports, model, started):
    """Seconds from `started` until every Envoy answered 200 for the model, polled in parallel."""
    served_at = [None] * len(ports)

    def poll(i):
        conn = http.client.HTTPConnection("127.0.0.1", ports[i], timeout=10)
        while chat(conn, model)[0] != 200:
            if time.perf_counter() - started > GIVE_UP_SECONDS:
                return
            time.sleep(POLL_SECONDS)
        served_at[i] = time.perf_counter() - started
        conn.close()

    threads = [threading.Thread(target=poll, args=(i,)) for i in range(len(ports))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if None in served_at:
        raise RuntimeError(f"{model} not served by every Envoy after {GIVE_UP_SECONDS} s: {served_at}")
    return max(served_at)


def fleet_in_force(status_port, count):
    """True once the status lists `count` Envoys, each with the config in force."""
    status = get_json(status_port, "/v1/status")
    version = (status.get("config", {}).get("in_force") or {}).get("version")
    accepted = [e.get("accepted_version") for e in status.get("envoys", [])]
    return version is not None and len(accepted) == count and all(a == version for a in accepted)


class Traffic:
    """One closed-loop client per Envoy (a keep-alive connection, opened again after an error)."""

    def __init__(self, ports):
        self.ok = 0
        self.failures = []
        self.running = True
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.loop, args=(p,)) for p in ports]
        for t in self.threads:
            t.start()

    def loop(self, port):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while self.running:
            try:
                status, body = chat(conn, TRAFFIC_MODEL)
                failure = None if status == 200 else f"port {port} at {time.time():.2f}: HTTP {status} {body[:300]}"
            except (OSError, http.client.HTTPException) as e:
                failure = f"port {port}: {e!r}"
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            with self.lock:
                if failure:
                    self.failures.append(failure)
                else:
                    self.ok += 1
        conn.close()

    def stop(self):
        self.running = False
        for t in self.threads:
            t.join()


def main():
    xds_port, status_port = b.free_port(), b.free_port()
    with b.stub_backends("fleet") as stubs, ExitStack() as stack:
        stub = stubs["fleet"]
        router = stack.enter_context(b.router("fleet", config(stub, 0), xds_port=xds_port, status_port=status_port))
        binary = os.readlink(f"/proc/{router.envoy_pid}/exe")
        ports = [int(router.url.rsplit(":", 1)[1])] + extra_envoys(stack, binary, xds_port, ENVOYS - 1)
        await_value(f"{ENVOYS} Envoys with the config in force", lambda: fleet_in_force(status_port, ENVOYS))
        b.log(f"fleet: {ENVOYS} Envoys connected")

        config_file = b.work_path("fleet.yml")
        cpu_before = b.cpu_seconds(router.pid)
        latencies = []
        for edit in range(1, EDITS + 1):
            staged = config_file.with_suffix(".staged")
            staged.write_text(config(stub, edit))
            started = time.perf_counter()
            os.replace(staged, config_file)
            latencies.append(served_by_all(ports, f"probe-{edit}", started))
            b.log(f"fleet: edit {edit} served by all {ENVOYS} after {b.ms(latencies[-1], 0)} ms")
        cpu_per_edit = (b.cpu_seconds(router.pid) - cpu_before) / EDITS
        await_value("the last edit in force everywhere", lambda: fleet_in_force(status_port, ENVOYS))
        idle_from = b.cpu_seconds(router.pid)
        time.sleep(IDLE_SECONDS)
        idle_share = (b.cpu_seconds(router.pid) - idle_from) / IDLE_SECONDS
        rss = b.rss_mib(router.pid)

        # A just-started Envoy's first health check may fail (under load); the next comes 10 s later.
        served_by_all(ports, TRAFFIC_MODEL, time.perf_counter())
        traffic = Traffic(ports)
        try:
            time.sleep(DOWN_SECONDS)
            os.kill(router.pid, signal.SIGKILL)
            router.running.proc.wait()
            b.log(f"fleet: control plane killed at {time.time():.2f}")
            time.sleep(DOWN_SECONDS)
            restarted = time.perf_counter()
            second = stack.enter_context(b.process("fleet-restarted", router.running.proc.args,
                                                   ready=r"JAiRouter ready"))
            await_value("every Envoy back on the restarted control plane",
                        lambda: fleet_in_force(status_port, ENVOYS))
            reconnected = time.perf_counter() - restarted
            b.log(f"fleet: all in force at {time.time():.2f}")
            b.log(f"fleet: all {ENVOYS} Envoys took the restarted control plane's config after "
                  f"{reconnected:.2f} s (pid {second.proc.pid})")
            time.sleep(AFTER_SECONDS)
        finally:
            traffic.stop()
        if traffic.failures:
            b.log(f"fleet: failed requests, first and last: {traffic.failures[:2]} {traffic.failures[-1:]}")

    latencies.sort()
    p99 = b.percentile(latencies, 99)
    failed = len(traffic.failures)
    if not b.SMOKE:
        b.target(f"one edit served by all {ENVOYS} Envoys (p99)", "≤ 1000 ms", b.ms(p99, 0) + " ms", p99 <= 1.0)
        b.target(f"failed requests over a control-plane restart, {ENVOYS} Envoys", "0",
                 f"{failed} of {traffic.ok + failed}", failed == 0)
    print(f"## Fleet: {ENVOYS} Envoys on one control plane\n")
    print(f"One control plane (its own Envoy plus {ENVOYS - 1} started from the bootstrap `jairouter bootstrap`")
    print("prints, one worker each, every listener on its own port). Each edit adds a chat model; the time runs")
    print("from the file's rename until every Envoy answered 200 for it (each polled on its own keep-alive")
    print(f"connection every {POLL_SECONDS * 1000:.0f} ms). Control-plane CPU: per edit, and at rest over "
          f"{IDLE_SECONDS} s with all")
    print("connected. Restart: a closed-loop client per Envoy; the control plane is killed with SIGKILL, stays")
    print(f"down {DOWN_SECONDS} s, is started again with the same command line (same xDS and status ports), and")
    print(f"traffic goes on {AFTER_SECONDS} s after every Envoy has acknowledged its config.\n")
    print(b.table(["Envoys", "edits", "served by all: median ms", "p99 ms", "max ms"],
                  [[ENVOYS, EDITS, b.ms(b.percentile(latencies, 50), 0), b.ms(p99, 0), b.ms(latencies[-1], 0)]]))
    print(b.table(["control plane with all connected", "value"],
                  [["RSS MiB", f"{rss:.0f}"], ["CPU per edit ms", b.ms(cpu_per_edit, 0)],
                   ["CPU at rest, % of a core", f"{idle_share * 100:.1f}"]]))
    print(b.table(["restart: requests", "failed", "restarted to all Envoys in force s"],
                  [[traffic.ok + failed, failed, f"{reconnected:.2f}"]]))
    if failed:
        raise SystemExit(f"{failed} requests failed over the control-plane restart: {traffic.failures[:5]}")


main()
