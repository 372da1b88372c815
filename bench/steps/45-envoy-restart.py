#!/usr/bin/env python3
"""Envoy recovery: from killing the supervised Envoy to the router serving again, for an Envoy the control
plane started and for one it adopted (left running by a control plane that was killed, found again by the
next one on the same work folder)."""
import http.client
import json
import os
import signal
import time
from contextlib import suppress

import benchlib as b

KILLS = 2 if b.SMOKE else 10
POLL_SECONDS = 0.005
STABLE_SECONDS = 1.0  # crashes at least this far apart: one crash each, not a crash loop
GIVE_UP_SECONDS = 30
BODY = json.dumps({"model": "probe", "messages": [{"role": "user", "content": "hi"}]})


def served(port):
    """True when a chat completion answers 200 on a fresh connection (the old ones died with Envoy)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("POST", "/v1/chat/completions", BODY, {"content-type": "application/json"})
        response = conn.getresponse()
        response.read()
        return response.status == 200
    except OSError:
        return False
    finally:
        conn.close()


def envoy_pid(work_dir):
    """The Envoy the control plane runs now (a new pid after each restart), as its pid file names it."""
    return int((work_dir / "envoy.pid").read_text())


def serving_steadily(port):
    deadline = time.perf_counter() + GIVE_UP_SECONDS
    serving_since = None
    while serving_since is None or time.perf_counter() - serving_since < STABLE_SECONDS:
        if time.perf_counter() > deadline:
            raise RuntimeError("router not serving steadily before the kill")
        if not served(port):
            serving_since = None
        elif serving_since is None:
            serving_since = time.perf_counter()
        time.sleep(POLL_SECONDS)


def recovery_after_killing_envoy(port, work_dir, kill):
    """Seconds from SIGKILL to the router's Envoy until a chat completion answers 200 again."""
    serving_steadily(port)
    killed = time.perf_counter()
    os.kill(envoy_pid(work_dir), signal.SIGKILL)
    while not served(port):
        if time.perf_counter() - killed > GIVE_UP_SECONDS:
            raise RuntimeError(f"{kill}: not serving {GIVE_UP_SECONDS} s after Envoy was killed")
        time.sleep(POLL_SECONDS)
    b.log(f"{kill}: served again after {b.ms(time.perf_counter() - killed, 0)} ms")
    return time.perf_counter() - killed


def started(config):
    """Recoveries of an Envoy the control plane started itself."""
    with b.router("envoy-restart", config) as router:
        port = int(router.url.rsplit(":", 1)[1])
        return [recovery_after_killing_envoy(port, router.work_dir, f"started Envoy, kill {kill}")
                for kill in range(1, KILLS + 1)]


def adopted(config):
    """Recoveries of an adopted Envoy: each round kills the control plane, starts it again on the same work
    folder (it adopts the Envoy left serving), then kills that Envoy."""
    recoveries = []
    with b.router("envoy-adopted", config, xds_port=b.free_port(), status_port=b.free_port()) as router:
        port = int(router.url.rsplit(":", 1)[1])
        argv = router.running.proc.args
        os.kill(router.pid, signal.SIGKILL)
        try:
            for round_ in range(1, KILLS + 1):
                with b.process(f"envoy-adopted-{round_}", argv, ready=r"JAiRouter ready") as again:
                    if not any("Adopted the Envoy" in line for _, line in again.lines):
                        raise RuntimeError(f"round {round_}: the restarted control plane did not adopt the Envoy")
                    recoveries.append(
                        recovery_after_killing_envoy(port, router.work_dir, f"adopted Envoy, round {round_}"))
                    # Leave this control plane's Envoy serving for the next round: SIGKILL, as at the start.
                    os.kill(again.proc.pid, signal.SIGKILL)
                    again.proc.wait()
        finally:
            # The last Envoy outlives its killed control plane (also when a round failed): stop it, as the
            # router block would have.
            with suppress(ProcessLookupError):
                os.kill(envoy_pid(router.work_dir), signal.SIGTERM)
    return recoveries


def main():
    with b.stub_backends("restart-probe") as stubs:
        config = ("server:\n  address: 127.0.0.1\n  port: %d\nmodel:\n  services:\n    chat:\n      instances:\n"
                  '        - name: "probe"\n          base-url: "%s"\n') % (b.free_port(), stubs["restart-probe"])
        rows = {"started by the control plane": sorted(started(config)),
                "adopted after a control-plane restart": sorted(adopted(config))}
        for kind, recoveries in rows.items():
            worst = recoveries[-1]
            b.target(f"serving again after an Envoy crash, {kind} (max)", "< 1000 ms", b.ms(worst, 0) + " ms",
                     worst < 1.0)
    print("## Envoy crash: kill -9 to serving again\n")
    print("The control plane's Envoy is killed with SIGKILL once it has served for a second; the time runs")
    print("until a chat completion answers 200 again on a new connection (polled every 5 ms). In between,")
    print("clients get connection refused; the requests in flight at the kill are lost. The control plane")
    print("restarts an Envoy that had become ready at once, and backs off only if Envoy dies before it is")
    print("ready (a crash loop). An adopted Envoy (a control plane killed with SIGKILL, then started again on the")
    print("same work folder, finds it serving and adopts it) is not its child: it is checked for exit every 20 ms,")
    print("where the JDK's own wait on a process not its child backs off to seconds.\n")
    print(b.table(["Envoy", "kills", "median ms", "max ms"],
                  [[kind, len(r), b.ms(b.percentile(r, 50), 0), b.ms(r[-1], 0)] for kind, r in rows.items()]))


if __name__ == "__main__":
    main()
