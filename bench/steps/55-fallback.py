#!/usr/bin/env python3
"""What model fallback costs per request: served by the requested model vs by its fallback, same run.

Five paths, one request at a time on one keep-alive connection (so latency is the path's own, not
queueing, and a model capped at one request never overflows): a model without fallbacks; a model with
fallbacks served by itself (its aggregate cluster); its fallback serving it while it is down (the body's
`model` rewritten by the upstream Lua filter); and with max-concurrent-requests, a model served by
itself through its saturation gate (an internal listener: a second HTTP hop inside Envoy), and a model
held full serving through the gate, whose refusal is retried on the fallback, body rewritten.
"""
import http.client
import json
import socket
import threading
import time
from contextlib import contextmanager
from urllib.parse import urlsplit

import benchlib as b

REQUESTS = 150 if b.SMOKE else 3000
WARMUP = 20 if b.SMOKE else 300
ROUNDS = 1 if b.SMOKE else 3
SERVED = "x-jairouter-served-model"
HEALTH = "{interval: 500ms, timeout: 400ms, unhealthy-threshold: 1, healthy-threshold: 1}"


def body(model):
    return json.dumps({"model": model, "messages": [{"role": "user", "content": "Hello"}], "max_tokens": 16})


def sequential(router, model, count):
    """`count` chats one after another on one connection: (sorted latencies, Envoy CPU µs per request, served by)."""
    parts = urlsplit(router.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    payload, latencies, served = body(model), [], set()
    cpu = b.cpu_seconds(router.envoy_pid)
    try:
        for _ in range(count):
            started = time.perf_counter()
            conn.request("POST", b.OPENAI_PATHS["chat"], payload, {"Content-Type": "application/json"})
            response = conn.getresponse()
            response.read()
            latencies.append(time.perf_counter() - started)
            if response.status != 200:
                raise RuntimeError(f"{model}: status {response.status}")
            served.add(response.getheader(SERVED) or "-")
    finally:
        conn.close()
    return sorted(latencies), (b.cpu_seconds(router.envoy_pid) - cpu) / count * 1e6, served


def await_served(router, model, by):
    """Until a request for `model` is answered by `by` (health checks have settled)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            if sequential(router, model, 1)[2] == {by}:
                return
        except (RuntimeError, OSError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{model} never served by {by}")
        time.sleep(0.2)


@contextmanager
def silent_instance():
    """A server that accepts requests and never answers: a request sent to it holds its model's slot."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted, read = [], threading.Event()

    def serve():
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            accepted.append(client)
            if client.recv(65536):
                read.set()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}", read
    finally:
        server.close()
        for client in accepted:
            client.close()


def hold(router, model, read):
    """Sends one request for `model` that its silent instance holds; returns once the instance has it."""
    parts = urlsplit(router.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=600)

    def send():
        try:
            conn.request("POST", b.OPENAI_PATHS["chat"], body(model), {"Content-Type": "application/json"})
            conn.getresponse()
        except OSError:
            pass  # the step ended and closed it

    threading.Thread(target=send, daemon=True).start()
    if not read.wait(30):
        raise RuntimeError(f"the request for {model} never reached its instance")
    return conn


def chat_config(backend, down, capped, full=None):
    instances = [("plain", backend), ("own", backend), ("fb", backend)]
    fallbacks = {"own": "fb"}
    if capped:
        instances.append(("full", full))
        fallbacks["full"] = "fb"
    else:
        instances.append(("down", down))
        fallbacks["down"] = "fb"
    check = "{type: none}" if capped else HEALTH
    cap = "      circuit-breaker: {max-concurrent-requests: 1}\n" if capped else ""
    return (f"server:\n  address: 127.0.0.1\n  port: {b.free_port()}\nmodel:\n  services:\n    chat:\n"
            f"      health-check: {check}\n{cap}      fallback-models:\n"
            + "".join(f"        {m}: [{f}]\n" for m, f in fallbacks.items())
            + "      instances:\n"
            + "".join(f'        - {{name: {m}, base-url: "{u}"}}\n' for m, u in instances))


def measure(paths):
    """Each (name, router, model) path ROUNDS times, alternating; the round with the median CPU of each."""
    runs = {name: [] for name, _, _ in paths}
    for _ in range(ROUNDS):
        for name, router, model in paths:
            sequential(router, model, WARMUP)
            runs[name].append(sequential(router, model, REQUESTS))
    return {name: sorted(r, key=lambda run: run[1])[len(r) // 2] for name, r in runs.items()}


def main():
    notes = []
    with (b.nginx(1 << 10) if b.NGINX else b.stub_backends("stub")) as backends:
        backend = backends if isinstance(backends, str) else backends["stub"]
        if not b.NGINX:
            notes.append("nginx is not installed: the stub backend (Java) answers, so latencies partly measure it.")
        down = f"http://127.0.0.1:{b.free_port()}"  # nothing listens there
        with silent_instance() as (silent, read), \
                b.router("fallback-plain", chat_config(backend, down, capped=False)) as plain, \
                b.router("fallback-capped", chat_config(backend, down, capped=True, full=silent)) as capped:
            for router, model, by in ((plain, "plain", "-"), (plain, "own", "own"), (plain, "down", "fb"),
                                      (capped, "own", "own")):
                await_served(router, model, by)
            held = hold(capped, "full", read)
            await_served(capped, "full", "fb")
            paths = [("model without fallbacks", plain, "plain"),
                     ("model with fallbacks, served by itself", plain, "own"),
                     ("served by its fallback, model down (body rewritten)", plain, "down"),
                     ("capped model with fallbacks, served by itself (through its gate)", capped, "own"),
                     ("served by its fallback, model full (gate, retry, body rewritten)", capped, "full")]
            results = measure(paths)
            held.close()
    base_cpu, base_p50 = results[paths[0][0]][1], b.percentile(results[paths[0][0]][0], 50)
    rows = []
    for name, _, _ in paths:
        latencies, cpu, served = results[name]
        rows.append([name, ", ".join(sorted(served)), b.ms(b.percentile(latencies, 50), 3),
                     b.ms(b.percentile(latencies, 99), 3), f"{cpu:.0f}", f"{cpu / base_cpu:.2f}×",
                     b.ms(b.percentile(latencies, 50) - base_p50, 3)])
    print("## Model fallback: what a request costs served by its model vs by the fallback\n")
    print(f"Chat requests of {len(body('plain'))} bytes, one at a time on one keep-alive connection "
          f"({REQUESTS} per row after {WARMUP} not counted, {ROUNDS} rounds alternating the rows, the round "
          "with the median Envoy CPU kept), so latency is the path's own and never queueing. Envoy CPU: user + "
          "system time of the router's Envoy during the row, per request. Two routers on one backend: one without "
          "`max-concurrent-requests` (a model `down` whose instance is a closed port, failed by health checks), "
          "one with `max-concurrent-requests: 1` (a model `full` whose only instance holds one request "
          "unanswered). Every model's fallback is `fb`.\n")
    print(b.notes(notes) + b.table(["path", "served by", "p50 ms", "p99 ms", "Envoy CPU µs/request",
                                    "CPU vs no fallbacks", "p50 − no fallbacks ms"], rows))


if __name__ == "__main__":
    main()
