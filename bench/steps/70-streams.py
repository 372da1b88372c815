#!/usr/bin/env python3
"""Many streams: thousands of concurrent SSE chat streams through one Envoy, and Envoy's memory per stream."""
import asyncio
import http.client
import json
import resource
import sys
import time
from pathlib import Path

import benchlib as b

WANTED = 100 if b.SMOKE else 10_000
# Envoy holds two sockets per stream (the client's and the upstream's; instances speak HTTP/1.1, one
# request per connection) plus its own files (workers, admin, xDS, logs).
ENVOY_OWN_FILES = 256
OPENING_AT_ONCE = 500      # streams being set up at the same time (connect, request, first chunk)
STAGE_TIMEOUT_SECONDS = 180
STUB = Path(__file__).resolve().parents[1] / "lib/sse_stub.py"
MODEL = "bench-stream"


def raise_file_limit():
    """Raises the file limit to what Envoy needs for WANTED streams; every process the step starts
    inherits it. Raising the hard limit needs CAP_SYS_RESOURCE; without it, up to the hard limit."""
    wanted = 2 * WANTED + ENVOY_OWN_FILES
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(wanted, soft), max(wanted, hard)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def request(port):
    body = json.dumps({"model": MODEL, "stream": True, "messages": [{"role": "user", "content": "Hello"}]})
    return (f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\n\r\n{body}").encode()


async def streams(port, count, on_all_open):
    """Opens `count` streams, calls on_all_open() once each has its first chunk (or has failed), then
    reads every one to its end. Returns (seconds until all open, failures as text)."""
    payload = request(port)
    opening = asyncio.Semaphore(OPENING_AT_ONCE)
    settled, all_settled = 0, asyncio.Event()
    failures = []

    def settle():
        nonlocal settled
        settled += 1
        if settled == count:
            all_settled.set()

    async def one():
        writer, counted = None, False
        try:
            async with opening:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(payload)
                head = await reader.readuntil(b"\r\n\r\n")
                if not head.startswith(b"HTTP/1.1 200"):
                    raise RuntimeError(head.split(b"\r\n", 1)[0].decode())
                await reader.readuntil(b"\n\n")  # the role chunk: the stream is open end to end
            settle()
            counted = True
            rest = await reader.readuntil(b"\r\n0\r\n\r\n")  # the last chunk of the chunked body
            if b"data: [DONE]" not in rest:
                raise RuntimeError("stream ended without [DONE]")
        except Exception as e:  # noqa: BLE001  (every failure is counted and reported)
            failures.append(repr(e))
            if not counted:
                settle()
        finally:
            if writer:
                writer.close()

    started = time.perf_counter()
    tasks = [asyncio.create_task(one()) for _ in range(count)]
    await asyncio.wait_for(all_settled.wait(), STAGE_TIMEOUT_SECONDS)
    opened = time.perf_counter() - started
    await asyncio.get_running_loop().run_in_executor(None, on_all_open)
    await asyncio.wait_for(asyncio.gather(*tasks), STAGE_TIMEOUT_SECONDS)
    return opened, failures


def stub_call(stub, method, path):
    host, port = stub.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request(method, path)
        return json.loads(conn.getresponse().read())
    finally:
        conn.close()


def main():
    file_limit = raise_file_limit()
    streams_count = min(WANTED, (file_limit - ENVOY_OWN_FILES) // 2)
    if streams_count < WANTED:
        b.log(f"streams: the hard file limit {file_limit:,} lets one Envoy hold {streams_count:,} streams, not "
              f"{WANTED:,}")
    run(file_limit, streams_count)


def run(file_limit, count):
    """Streams `count` SSE chat completions at once through one router and prints the section."""
    with b.process("sse-stub", [sys.executable, STUB, 0], ready=r"sse stub listening on (\S+)") as running:
        stub = running.matches[0].group(1)
        config = ("server:\n  address: 127.0.0.1\n  port: 0\nmodel:\n  services:\n    chat:\n      instances:\n"
                  f'        - name: "{MODEL}"\n          base-url: "{stub}"\n')
        with b.router("streams", config) as router:
            port = int(router.url.rsplit(":", 1)[1])
            idle_rss = b.rss_mib(router.envoy_pid)
            seen = {}

            def all_open():
                seen["rss"] = b.rss_mib(router.envoy_pid)
                seen["held"] = stub_call(stub, "GET", "/held")["held"]
                b.log(f"streams: {seen['held']} held at the stub; Envoy RSS {seen['rss']:.0f} MiB")
                stub_call(stub, "POST", "/release")

            b.log(f"streams: opening {count} (file limit {file_limit})")
            opened, failures = asyncio.run(streams(port, count, all_open))
            peak_rss = b.rss_mib(router.envoy_pid, "VmHWM")
    per_stream_kib = (seen["rss"] - idle_rss) * 1024 / count
    if failures:
        b.log(f"streams: {len(failures)} failed, first ones: {failures[:5]}")
    if not b.SMOKE:
        b.target(f"{WANTED:,} concurrent SSE streams through one Envoy", "0 failures",
                 f"{len(failures)} failures of {count:,} streams", not failures and count == WANTED)
    print(f"## Many streams: {count:,} concurrent SSE chat streams through one Envoy\n")
    print(f"An asyncio client (raw sockets, one loop) opens {count:,} streaming chat completions through the")
    print(f"router, at most {OPENING_AT_ONCE} being set up at once, each over its own connection; the stub")
    print("(`bench/lib/sse_stub.py`, one asyncio loop) sends each its first chunk and holds it. Once every")
    print("stream has its first chunk, Envoy's RSS is read and the stub releases all of them at once; each")
    print("must then end with `[DONE]`. Envoy runs as the router runs it (one worker per core, the")
    print("translator's default limits: 100,000 requests per model, 50,000 connections). The step raises its")
    print(f"file limit to {file_limit:,}, inherited by the stub, the control plane and Envoy. RSS per stream is")
    print("(RSS with all open − RSS before) / streams: it includes the upstream connection of each stream.\n")
    if count < WANTED:
        print(b.notes([f"The hard file limit here is {file_limit:,} and the step may not raise it (no "
                       f"CAP_SYS_RESOURCE): Envoy needs two sockets per stream, so it ran {count:,} streams, "
                       f"not {WANTED:,}. With 10,000 streams at this limit, about 30 got 503 (Envoy at its file "
                       "limit)."]))
    print(b.table(["streams", "failed", "all open after s", "held at the stub", "Envoy RSS before MiB",
                   "with all open MiB", "peak MiB", "per stream KiB"],
                  [[f"{count:,}", len(failures), f"{opened:.1f}", f"{seen['held']:,}", f"{idle_rss:.0f}",
                    f"{seen['rss']:.0f}", f"{peak_rss:.0f}", f"{per_stream_kib:.1f}"]]))
    if failures or seen["held"] != count:
        raise SystemExit(f"{len(failures)} of {count} streams failed ({seen['held']} held): {failures[:5]}")


main()
