#!/usr/bin/env python3
"""first-token-timeout: streams' time to first token with one instance stalling 30 s, and what it costs.

Two routers on the same stub backends: one without first-token-timeout, one with it. Streamed chat
completions from concurrent clients: to a model of two healthy instances through each router, and through
the second router to a model one of whose two instances sends its headers at once and its first token
30 s later (a stalled server). Then Envoy's CPU per request without and with the timeout, wrk against two
routers on nginx, which answers a whole stream (or a whole chat.completion) at once.
"""
import json
import threading
import time

import benchlib as b
import clients

COST_SECONDS = 2 if b.SMOKE else 10
COST_ROUNDS = 1 if b.SMOKE else 3
COST_CONNECTIONS = 16

TIMEOUT_SECONDS = 2
STALL_SECONDS = 30
STREAMS = 12 if b.SMOKE else 300
WARMUP = 4 if b.SMOKE else 50
CLIENTS = 16


def body(model):
    return json.dumps({"model": model, "messages": [{"role": "user", "content": "Hello"}], "stream": True})


def config(backends, first_token_timeout):
    timeout = f"      first-token-timeout: {first_token_timeout}s\n" if first_token_timeout else ""
    instances = [("steady", backends["stub-a"]), ("steady", backends["stub-b"]),
                 ("stalling", backends["stub-a"]), ("stalling", backends["stalled"])]
    return (f"server:\n  address: 127.0.0.1\n  port: {b.free_port()}\nmodel:\n  services:\n    chat:\n{timeout}"
            "      load-balance: {type: round-robin}\n      instances:\n"
            + "".join(f'        - {{name: {m}, base-url: "{u}"}}\n' for m, u in instances))


def streams(router, model, count):
    """`count` streams from CLIENTS threads: (sorted seconds to first event, failures, Envoy CPU µs per stream)."""
    url, payload = router.url + b.OPENAI_PATHS["chat"], body(model)
    firsts, failures, lock = [], [], threading.Lock()
    left = iter(range(count))

    def client():
        while True:
            with lock:
                if next(left, None) is None:
                    return
            try:
                first, _ = clients.sse(url, payload)
                with lock:
                    firsts.append(first)
            except (RuntimeError, OSError) as e:
                with lock:
                    failures.append(str(e))

    cpu = b.cpu_seconds(router.envoy_pid)
    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(firsts), failures, (b.cpu_seconds(router.envoy_pid) - cpu) / count * 1e6


def await_serving(router, model):
    """Until the router streams the model (its Envoy has the config and the instances passed health checks)."""
    deadline = time.monotonic() + 60
    while True:
        try:
            clients.sse(router.url + b.OPENAI_PATHS["chat"], body(model))
            return
        except (RuntimeError, OSError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def cost_config(backend, first_token_timeout):
    timeout = f"      first-token-timeout: {first_token_timeout}s\n" if first_token_timeout else ""
    return (f"server:\n  address: 127.0.0.1\n  port: {b.free_port()}\nmodel:\n  services:\n    chat:\n{timeout}"
            "      instances:\n"
            f'        - {{name: streamed, base-url: "{backend}{b.SSE_PREFIX}"}}\n'
            f'        - {{name: whole, base-url: "{backend}"}}\n')


def cost():
    """Envoy CPU per streamed and per whole answer, first-token-timeout off vs on: (commands, rows)."""
    commands, rows = [], []
    with b.nginx(1024) as backend, \
            b.router("first-token-cost-off", cost_config(backend, None)) as off, \
            b.router("first-token-cost-on", cost_config(backend, TIMEOUT_SECONDS)) as on:
        for model, what in (("streamed", "streamed (the whole stream at once)"), ("whole", "not streamed")):
            payload = json.dumps({"model": model, "messages": [{"role": "user", "content": "Hello"}],
                                  "stream": model == "streamed"}).encode()
            measures = {name: (lambda r=r: clients.wrk_cpu(r, r.url + b.OPENAI_PATHS["chat"], payload,
                                                           COST_CONNECTIONS, 2, COST_SECONDS))
                        for name, r in (("off", off), ("on", on))}
            ran, figures, extra = clients.compare_cpu(measures, COST_ROUNDS)
            commands += ran[:2]
            rows += [[what, f"first-token-timeout {'set' if name == 'on' else 'not set'}", rps, envoy]
                     for name, rps, envoy, _, _, _ in figures]
            rows[-1].append(f"{extra * 100:+.0f}%")
            rows[-2].append("")
    return commands, rows


def main():
    with b.stub_backends("stub-a", "stub-b", f"stalled:first-token-delay={STALL_SECONDS}") as backends, \
            b.router("first-token-off", config(backends, None)) as off, \
            b.router("first-token-on", config(backends, TIMEOUT_SECONDS)) as on:
        await_serving(off, "steady")
        await_serving(on, "steady")
        streams(off, "steady", WARMUP)
        streams(on, "steady", WARMUP)
        results = [("two healthy instances, first-token-timeout not set", streams(off, "steady", STREAMS)),
                   (f"two healthy instances, first-token-timeout {TIMEOUT_SECONDS}s", streams(on, "steady", STREAMS)),
                   (f"one of two stalls {STALL_SECONDS} s before its first token, first-token-timeout "
                    f"{TIMEOUT_SECONDS}s", streams(on, "stalling", STREAMS))]
    rows = []
    for name, (firsts, failures, cpu) in results:
        slow = sum(1 for first in firsts if first > TIMEOUT_SECONDS)
        rows.append([name, len(firsts), len(failures), slow, b.ms(b.percentile(firsts, 50), 1),
                     b.ms(b.percentile(firsts, 99), 1), b.ms(firsts[-1], 1), f"{cpu:.0f}"])
    normal_p99 = b.percentile(results[1][1][0], 99)
    stalled_firsts, stalled_failures, _ = results[2][1]
    stalled_p99 = b.percentile(stalled_firsts, 99)
    goal = TIMEOUT_SECONDS + normal_p99
    target = b.target(
        "streams' time to first token with one instance stalling 30 s",
        f"p99 ≤ first-token-timeout + normal p99 ({b.ms(goal, 0)} ms), 0 failed",
        f"p99 {b.ms(stalled_p99, 0)} ms, {len(stalled_failures)} failed",
        stalled_p99 <= goal and not stalled_failures)
    print("## First-token timeout: streams with one instance stalling\n")
    print(f"Streamed chat completions (stub backends, one event every 20 ms), {STREAMS} per row from {CLIENTS} "
          f"concurrent clients on fresh connections after {WARMUP} not counted; round-robin over two instances. "
          f"The stalled instance sends its headers at once and its first token {STALL_SECONDS} s later; its "
          "health probes pass. First token: seconds to the first complete SSE event at the client. Slow: streams "
          f"whose first token took longer than the timeout (a try given up). After five timed-out tries in a row "
          "Envoy ejects the stalled instance (30 s), so the later streams go to the other at once. Envoy CPU: "
          "user + system time of the router's Envoy during the row, per stream.\n")
    print(b.table(["path", "streams", "failed", "slow", "first token p50 ms", "p99 ms", "max ms",
                   "Envoy CPU µs/stream"], rows))
    print(target + "\n")
    if stalled_failures:
        print(b.notes([f"failures: {stalled_failures[:3]}"]))
    print("### What the timeout costs Envoy\n")
    if not b.NGINX:
        print(b.notes(["nginx is not installed: the cost rows are left out."]))
        return
    commands, rows = cost()
    print(f"wrk, {COST_CONNECTIONS} connections, {COST_SECONDS} s per run after 2 s not counted, {COST_ROUNDS} "
          "round(s) alternating the two routers, the run with the median Envoy CPU kept; nginx answers a whole "
          "stream (one event and `[DONE]`, `text/event-stream`) or a whole `chat.completion` at once, so the "
          "figures are the router's own. With the timeout, a stream's answer makes the upstream filter's call to "
          "the wait listener, and every answer passes the filter (which lets a non-stream pass at once).\n")
    print(b.table(["answer", "router", "requests/s", "Envoy CPU µs/request", "Envoy + control plane, on vs off"],
                  rows))
    print(b.commands_block(commands))


if __name__ == "__main__":
    main()
