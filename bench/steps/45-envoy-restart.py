#!/usr/bin/env python3
"""Envoy recovery: from killing the supervised Envoy to the router serving again."""
import http.client
import json
import os
import signal
import time

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


def envoy_pid(router):
    """The Envoy the control plane runs now (a new pid after each restart)."""
    return b._child_named(router.pid, "envoy")


def main():
    with b.stub_backends("restart-probe") as stubs:
        config = ("server:\n  address: 127.0.0.1\n  port: %d\nmodel:\n  services:\n    chat:\n      instances:\n"
                  '        - name: "probe"\n          base-url: "%s"\n') % (b.free_port(), stubs["restart-probe"])
        recoveries = []
        with b.router("envoy-restart", config) as router:
            port = int(router.url.rsplit(":", 1)[1])
            for kill in range(1, KILLS + 1):
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
                victim = envoy_pid(router)
                killed = time.perf_counter()
                os.kill(victim, signal.SIGKILL)
                while not served(port):
                    if time.perf_counter() - killed > GIVE_UP_SECONDS:
                        raise RuntimeError(f"kill {kill}: not serving {GIVE_UP_SECONDS} s after Envoy was killed")
                    time.sleep(POLL_SECONDS)
                recoveries.append(time.perf_counter() - killed)
                b.log(f"envoy restart {kill}: served again after {b.ms(recoveries[-1], 0)} ms")
        recoveries.sort()
        worst = recoveries[-1]
        b.target("serving again after an Envoy crash (max)", "< 1000 ms", b.ms(worst, 0) + " ms", worst < 1.0)
    print("## Envoy crash: kill -9 to serving again\n")
    print("The control plane's Envoy is killed with SIGKILL once it has served for a second; the time runs")
    print("until a chat completion answers 200 again on a new connection (polled every 5 ms). In between,")
    print("clients get connection refused; the requests in flight at the kill are lost. The control plane")
    print("restarts an Envoy that had become ready at once, and backs off only if Envoy dies before it is")
    print("ready (a crash loop).\n")
    print(b.table(["kills", "median ms", "max ms"], [[KILLS, b.ms(b.percentile(recoveries, 50), 0), b.ms(worst, 0)]]))


if __name__ == "__main__":
    main()
