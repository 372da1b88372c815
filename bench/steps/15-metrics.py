#!/usr/bin/env python3
"""What usage reading, request records and the access log cost: the same small chat completions through
two routers, one with monitoring off, one with the records to the control plane and a JSON access log."""
import re
import urllib.request

import benchlib as b
import clients as c

WARMUP_SECONDS = 1 if b.SMOKE else 3
SECONDS = 1 if b.SMOKE else 10
CONNECTIONS = 16
ROUNDS = 1 if b.SMOKE else 3


def config(base_url, monitoring):
    return ("server:\n  port: 0\n  address: 127.0.0.1\n" + monitoring + "model:\n  services:\n    chat:\n"
            f"      instances:\n        - name: \"bench-chat\"\n          base-url: \"{base_url}\"\n")


def measure(router):
    """wrk against the router; requests/s and CPU µs per request of its Envoy and of its control plane."""
    return c.wrk_cpu(router, router.url + "/v1/chat/completions", b.CHAT_BODY, CONNECTIONS, WARMUP_SECONDS, SECONDS)


def records_and_batches(status_url):
    """Requests the control plane counted from records, and the batches (gRPC calls) they came in."""
    text = urllib.request.urlopen(status_url + "/metrics", timeout=10).read().decode()
    records = sum(float(v) for v in re.findall(r"^jairouter_requests_total\S* (\S+)$", text, re.M))
    batches = sum(float(v) for v in re.findall(r"^jairouter_request_record_batches_total (\S+)$", text, re.M))
    return records, batches


def main():
    print("## Metrics and access log: on vs off\n")
    if not c.WRK:
        print("wrk is not installed: not measured (Debian package `wrk`; outside smoke mode `bench/run` "
              "installs it).\n")
        return
    access_log = b.work_path("access.log")
    variants = [("off", "monitoring:\n  enabled: false\n"),
                ("on", f"monitoring:\n  enabled: true\n  access-log: {access_log}\n")]
    with b.traffic_setup() as setup:
        base = setup.direct["bench-chat"].removesuffix("/v1/chat/completions")
        status_port = b.free_port()
        with b.router("metrics-off", config(base, variants[0][1])) as off, \
                b.router("metrics-on", config(base, variants[1][1]), status_port=status_port) as on:
            commands, rows, extra = c.compare_cpu({"off": lambda: measure(off), "on": lambda: measure(on)}, ROUNDS)
            # Counted while the last second's records may still be in Envoy's buffer: the ratio stands.
            records, batches = records_and_batches(f"http://127.0.0.1:{status_port}")
    print(b.notes(setup.notes) + b.table(["monitoring", "requests/s", "Envoy CPU µs/request",
                                          "control plane CPU µs/request", "total CPU µs/request",
                                          "socket errors"], rows)
          + f"\nOne chat model on the benchmark backend, wrk at {CONNECTIONS} connections for {SECONDS} s per run "
          f"after a {WARMUP_SECONDS} s warm-up, {ROUNDS} alternating run(s) per router, the run with the median "
          "Envoy CPU shown. Off: `monitoring.enabled: false`, no access log (no usage reading, no records). On: "
          "usage read from every answer, a record per request to the control plane (OTLP, which turns them "
          "into /metrics) and a JSON access-log line to a file. CPU is user + system time of each process "
          "during the run, per request.\n\n"
          + f"Records reached the control plane in {batches:.0f} batches (gRPC calls) for {records:.0f} "
          f"requests: {records / max(batches, 1):.0f} records per batch, "
          f"{batches / (ROUNDS * (WARMUP_SECONDS + SECONDS)):.1f} batches per second of load.\n\n"
          + b.target("extra CPU per request with metrics and access log", "≤ 10 %", f"{extra:+.0%}", extra <= 0.10)
          + "\n" + b.commands_block(commands[:2]))


if __name__ == "__main__":
    main()
