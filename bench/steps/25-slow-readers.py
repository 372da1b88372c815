#!/usr/bin/env python3
"""Slow readers: Envoy's memory with many clients that never read a large response."""
import json
import socket
import time
import urllib.request

import benchlib as b

READERS = 10 if b.SMOKE else 200
SPEECH_BYTES = (1 if b.SMOKE else 64) << 20
GIVE_UP_SECONDS = 60
BODY = json.dumps({"model": "bench-tts", "input": "a long text", "voice": "alloy"}).encode()


def admin_get(admin, path):
    with urllib.request.urlopen(f"http://{admin}{path}", timeout=5) as response:
        return response.read().decode()


def paused_responses(admin):
    """How often Envoy stopped reading from an instance because its client was not reading."""
    stats = json.loads(admin_get(admin, "/stats?format=json&filter=upstream_flow_control_paused_reading_total$"))
    return sum(stat.get("value", 0) for stat in stats["stats"])


def reader_that_never_reads(host, port):
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((host, port))
    sock.sendall(b"POST /v1/audio/speech HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
                 b"Content-Length: %d\r\n\r\n%s" % (len(BODY), BODY))
    return sock


def main():
    with b.traffic_setup(SPEECH_BYTES) as setup:
        admin = b.work_path("router-work/envoy-admin-address").read_text().strip()
        host, port = setup.router.url.removeprefix("http://").split(":")
        rss_before = b.rss_mib(setup.router.envoy_pid)
        heap_before = int(json.loads(admin_get(admin, "/memory"))["allocated"])
        paused_before = paused_responses(admin)
        readers = [reader_that_never_reads(host, int(port)) for _ in range(READERS)]
        try:
            started = time.monotonic()
            # Every response has filled what Envoy holds for its client once Envoy pauses reading it (the
            # smoke run's and the stub's responses are too small to fill it: they are measured as they are).
            while not b.SMOKE and not setup.notes and paused_responses(admin) - paused_before < READERS:
                if time.monotonic() - started > GIVE_UP_SECONDS:
                    raise RuntimeError(f"Envoy paused only {paused_responses(admin) - paused_before} of {READERS}")
                time.sleep(0.05)
            rss_held = b.rss_mib(setup.router.envoy_pid)
            heap_held = int(json.loads(admin_get(admin, "/memory"))["allocated"])
        finally:
            for reader in readers:
                reader.close()
        per_reader_rss = (rss_held - rss_before) / READERS
        per_reader_heap = (heap_held - heap_before) / READERS / (1 << 20)
        if not b.SMOKE:
            b.target("Envoy memory per slow reader of a 64 MiB response", "≤ 2 MiB",
                     f"{per_reader_rss:.2f} MiB RSS", per_reader_rss <= 2)
    print("## Slow readers: memory held for clients that do not read\n")
    print(f"{READERS} clients each ask for a {SPEECH_BYTES >> 20} MiB speech response and never read it (4 KiB receive")
    print("buffer). Once Envoy has paused reading every response (its flow control: the connection buffer for")
    print("the client is full), its memory is read: RSS from /proc and the heap Envoy itself reports (admin")
    print("/memory). The rest of each response waits in the backend and the kernel's socket buffers. Before the")
    print("1 MiB connection buffers, a slow reader could pin up to max-request-size (32 MiB) of Envoy's memory.\n")
    print(b.table(["readers", "response", "Envoy RSS before", "RSS held", "per reader (RSS)", "per reader (heap)"],
                  [[READERS, f"{SPEECH_BYTES >> 20} MiB", f"{rss_before:.0f} MiB", f"{rss_held:.0f} MiB",
                    f"{per_reader_rss:.2f} MiB", f"{per_reader_heap:.2f} MiB"]]))
    for note in setup.notes:
        print(f"\n{note}")


if __name__ == "__main__":
    main()
