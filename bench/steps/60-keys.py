#!/usr/bin/env python3
"""What client keys cost, and how fast a spent budget is refused by the whole fleet: (a) the same small chat
completions through a router without keys and one with a key, a per-key rate limit and a daily budget; (b)
from a key's last answer within its daily-request-limit to two Envoys on one control plane refusing it."""
import http.client
import json
import os
import re
import time

import benchlib as b
import clients as c

WARMUP_SECONDS = 1 if b.SMOKE else 3
SECONDS = 1 if b.SMOKE else 10
CONNECTIONS = 16
ROUNDS = 1 if b.SMOKE else 3
SPEND_ROUNDS = 1 if b.SMOKE else 5
# Requests a budgeted key may make a day in (b): spent by that many answers.
SPEND_LIMIT = 3
REFUSAL_TIMEOUT = 10.0
BENCH_KEY = "sk-bench-keys-on-0000000001"


def spend_key(n):
    return f"sk-bench-spend-{n:04d}-000000000"


def config(base_url, keys, rate_limit):
    """The chat model; with keys, a key for the throughput run (high limits: never refused) and one
    budgeted key per round of (b); with rate_limit, a per-key bucket on the model."""
    text = "server:\n  port: 0\n  address: 127.0.0.1\n"
    if keys:
        text += ("jairouter:\n  security:\n    enabled: true\n    api-key:\n      keys:\n"
                 f'        - {{key-id: bench, key-value: "{BENCH_KEY}", daily-request-limit: 1000000000}}\n'
                 + "".join(f'        - {{key-id: spend-{n}, key-value: "{spend_key(n)}", '
                           f"daily-request-limit: {SPEND_LIMIT}}}\n" for n in range(SPEND_ROUNDS)))
    text += "model:\n  services:\n    chat:\n"
    if rate_limit:
        text += "      rate-limit: {enabled: true, scope: key, capacity: 1000000, rate: 1000000}\n"
    return text + f'      instances:\n        - name: "bench-chat"\n          base-url: "{base_url}"\n'


def chat(port, key):
    """One chat completion through an Envoy: (status, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", "/v1/chat/completions", b.CHAT_BODY,
                     {"Content-Type": "application/json", "Authorization": f"Bearer {key}"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def listener_port(admin_address_file):
    """The JAiRouter listener's port of an Envoy, once it has its config; None before."""
    if not admin_address_file.exists() or not admin_address_file.read_text().strip():
        return None
    host, port = admin_address_file.read_text().strip().rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=2)
    try:
        conn.request("GET", "/listeners?format=json")
        for listener in json.loads(conn.getresponse().read()).get("listener_statuses", []):
            if listener["name"] == "jairouter_http":
                return listener["local_address"]["socket_address"]["port_value"]
    except (OSError, ValueError):
        return None
    finally:
        conn.close()
    return None


def second_envoy(router, name):
    """Another Envoy process on the router's control plane: the router's own bootstrap, its own node id."""
    bootstrap = (b.work_path(f"{name}-work") / "envoy-bootstrap.yaml").read_text()
    root = b.work_path("second-envoy")
    root.mkdir(exist_ok=True)
    (root / "envoy.yaml").write_text(re.sub(r"(?m)^(\s+id:) .*$", r"\1 bench-second-envoy", bootstrap, count=1))
    binary = os.readlink(f"/proc/{router.envoy_pid}/exe")
    admin = root / "admin-address"
    argv = [binary, "-c", root / "envoy.yaml", "--disable-hot-restart", "--log-level", "warning",
            "--concurrency", "1", "--admin-address-path", admin]
    return b.process("second-envoy", argv), admin


def await_port(admin, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        port = listener_port(admin)
        if port:
            return port
        time.sleep(0.05)
    raise RuntimeError("the second Envoy got no listener from the control plane")


def time_to_refusal(ports, n):
    """Spends key n through the first Envoy, then polls every Envoy until each refuses it: seconds per Envoy."""
    key = spend_key(n)
    for _ in range(SPEND_LIMIT):
        status, body = chat(ports[0], key)
        if status != 200:
            raise RuntimeError(f"key spend-{n} refused before its budget was spent: {status} {body[:200]}")
    spent_at = time.perf_counter()
    refused = {}
    while len(refused) < len(ports) and time.perf_counter() - spent_at < REFUSAL_TIMEOUT:
        for port in ports:
            if port not in refused:
                status, body = chat(port, key)
                if status == 429 and b"insufficient_quota" in body:
                    refused[port] = time.perf_counter() - spent_at
        time.sleep(0.005)
    if len(refused) < len(ports):
        raise RuntimeError(f"key spend-{n}: {len(ports) - len(refused)} Envoy(s) still served it "
                           f"{REFUSAL_TIMEOUT} s after its budget was spent")
    return [refused[port] for port in ports]


def main():
    print("## Client keys: cost, and a spent budget refused by the fleet\n")
    if not c.WRK:
        print("wrk is not installed: not measured (Debian package `wrk`; outside smoke mode `bench/run` "
              "installs it).\n")
        return
    with b.traffic_setup() as setup:
        base = setup.direct["bench-chat"].removesuffix("/v1/chat/completions")
        url = "/v1/chat/completions"
        with b.router("keys-off", config(base, False, False)) as off, \
                b.router("keys-on", config(base, True, True)) as on, \
                b.router("keys-no-limit", config(base, True, False)) as keys_only:
            def measure(router, authorization=None):
                return lambda: c.wrk_cpu(router, router.url + url, b.CHAT_BODY, CONNECTIONS, WARMUP_SECONDS,
                                         SECONDS, authorization)
            commands, rows, extra = c.compare_cpu({
                "off": measure(off), "on": measure(on, f"Bearer {BENCH_KEY}"),
                "keys, no rate limit": measure(keys_only, f"Bearer {BENCH_KEY}")}, ROUNDS)
            second, admin = second_envoy(on, "keys-on")
            with second:
                ports = [int(on.url.rsplit(":", 1)[1]), await_port(admin)]
                refusals = [time_to_refusal(ports, n) for n in range(SPEND_ROUNDS)]
    slowest = [max(r) for r in refusals]
    refusal_rows = [[n + 1] + [b.ms(s, 0) for s in r] + [b.ms(max(r), 0)] for n, r in enumerate(refusals)]
    print(b.notes(setup.notes) + "### (a) Throughput and CPU per request\n\n"
          + b.table(["client keys", "requests/s", "Envoy CPU µs/request", "control plane CPU µs/request",
                     "total CPU µs/request", "socket errors"], rows)
          + f"\nOne chat model on the benchmark backend, wrk at {CONNECTIONS} connections for {SECONDS} s per run "
          f"after a {WARMUP_SECONDS} s warm-up, {ROUNDS} alternating run(s) per router, the run with the median "
          "Envoy CPU shown; monitoring on in all (the default). Off: no `jairouter.security`. On: every request "
          "sends `Authorization: Bearer` with a key that `api_key_auth` checks, `header_to_metadata` records "
          "its id, a per-key `local_ratelimit` bucket (never empty here) admits it, and the control plane "
          "counts it on the key's daily budget (never spent here). *Keys, no rate limit*: the same without the "
          "`local_ratelimit` bucket, to show what each costs. CPU is user + system time of each process "
          "during the run, per request.\n\n"
          + b.target("extra CPU per request with client keys and a rate limit", "≤ 10 %", f"{extra:+.0%}",
                     extra <= 0.10)
          + "\n\n### (b) A spent daily budget refused by every Envoy\n\n"
          + b.table(["round", "Envoy 1 (supervised) ms", "Envoy 2 (second process) ms", "slowest ms"],
                    refusal_rows)
          + f"\nEach round a new key with `daily-request-limit: {SPEND_LIMIT}` makes its {SPEND_LIMIT} requests "
          "through Envoy 1; the time runs from its last answer until each Envoy answers it 429 "
          "`insufficient_quota` (both polled every ~5 ms). It spans Envoy's request-record flush (at most "
          "1 s), the control plane's count and its push of the refusal to both Envoys.\n\n"
          + b.target("from a key's budget spent to every Envoy refusing it", "≤ 2 s",
                     f"{b.ms(max(slowest), 0)} ms (slowest of {len(slowest)})", max(slowest) <= 2.0)
          + "\n" + b.commands_block(commands[:2]))


if __name__ == "__main__":
    main()
