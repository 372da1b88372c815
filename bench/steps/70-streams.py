#!/usr/bin/env python3
"""Many streams: thousands of concurrent SSE chat streams through one Envoy, and Envoy's memory per stream,
with clients speaking HTTP/2 (many streams per connection) and HTTP/1.1 (a connection per stream)."""
import asyncio
import http.client
import json
import math
import os
import resource
import sys
import time
import urllib.request
from pathlib import Path

import benchlib as b

b.python_package("h2", "h2==4.4.1")
import h2.config  # noqa: E402  (installed just above when missing)
import h2.connection  # noqa: E402
import h2.events  # noqa: E402

WANTED = 150 if b.SMOKE else 10_000  # smoke: still more streams than one HTTP/2 connection carries
# Envoy's own files (workers, admin, xDS, logs), with room to spare.
ENVOY_OWN_FILES = 256
# SETTINGS_MAX_CONCURRENT_STREAMS the listener announces: the translator's default, and raised with
# server.http2.max-concurrent-streams. The client puts as many streams on a connection as Envoy allows.
H2_DEFAULT_STREAMS = 100
H2_RAISED_STREAMS = 1_000
OPENING_AT_ONCE = 500      # streams being set up at the same time (connect, request, first chunk)
STAGE_TIMEOUT_SECONDS = 180
STUB = Path(__file__).resolve().parents[1] / "lib/sse_stub.py"
MODEL = "bench-stream"
BODY = json.dumps({"model": MODEL, "stream": True, "messages": [{"role": "user", "content": "Hello"}]}).encode()


def raise_file_limit():
    """Raises the file limit to what Envoy needs for WANTED HTTP/1.1 streams (two sockets each); every
    process the step starts inherits it. Raising the hard limit needs CAP_SYS_RESOURCE; without it, up
    to the hard limit."""
    wanted = 2 * WANTED + ENVOY_OWN_FILES
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(wanted, soft), max(wanted, hard)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class Http1Stream:
    """One stream over its own HTTP/1.1 connection (raw socket, chunked SSE answer)."""

    def __init__(self, port):
        self.port = port
        self.reader = self.writer = None

    async def open(self):
        """Sends the request and reads the role chunk: the stream is open end to end."""
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.writer.write((f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
                           f"content-type: application/json\r\ncontent-length: {len(BODY)}\r\n\r\n").encode()
                          + BODY)
        head = await self.reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(head.split(b"\r\n", 1)[0].decode())
        await self.reader.readuntil(b"\n\n")

    async def finish(self):
        return await self.reader.readuntil(b"\r\n0\r\n\r\n")  # the last chunk of the chunked body

    def close(self):
        if self.writer:
            self.writer.close()


class Http1Client:
    name = "HTTP/1.1"

    def __init__(self, port):
        self.port = port
        self.connections = 0

    def streams_per_connection(self):
        return 1

    async def new_stream(self):
        self.connections += 1
        return Http1Stream(self.port)

    def close(self):
        pass


class Http2Stream:
    """One stream of an Http2Connection; the connection's reader feeds it."""

    def __init__(self):
        self.body, self.error = b"", None
        self.first_event, self.end = asyncio.Event(), asyncio.Event()

    def on_headers(self, headers):
        status = dict(headers).get(b":status")
        if status != b"200":
            self.fail(RuntimeError(f"status {status.decode() if status else None}"))

    def on_data(self, data):
        self.body += data
        if b"\n\n" in self.body:
            self.first_event.set()

    def on_end(self):
        self.first_event.set()
        self.end.set()

    def fail(self, error):
        self.error = self.error or error
        self.on_end()

    async def open(self):
        await self.first_event.wait()
        if self.error:
            raise self.error

    async def finish(self):
        await self.end.wait()
        if self.error:
            raise self.error
        return self.body

    def close(self):
        pass  # the stream ended with its answer; the connection is closed by its client


class Http2Connection:
    """One cleartext HTTP/2 connection to Envoy (prior knowledge), with the h2 package's state machine."""

    def __init__(self, port, reader, writer):
        self.port, self.reader, self.writer = port, reader, writer
        self.state = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding=None))
        self.streams, self.started = {}, 0
        self.settings = asyncio.Event()

    @classmethod
    async def open(cls, port):
        connection = cls(port, *await asyncio.open_connection("127.0.0.1", port))
        connection.state.initiate_connection()
        connection.flush()
        connection.reading = asyncio.create_task(connection.read())
        await asyncio.wait_for(connection.settings.wait(), STAGE_TIMEOUT_SECONDS)
        return connection

    def allowed(self):
        return self.state.remote_settings.max_concurrent_streams

    def has_room(self):
        """Room for one more stream: each carries the most streams Envoy allows at once (none end
        before all are open)."""
        return self.started < self.allowed()

    def start_stream(self):
        stream_id = self.state.get_next_available_stream_id()
        stream = self.streams[stream_id] = Http2Stream()
        self.started += 1
        self.state.send_headers(stream_id, [
            (b":method", b"POST"), (b":scheme", b"http"), (b":authority", f"127.0.0.1:{self.port}".encode()),
            (b":path", b"/v1/chat/completions"), (b"content-type", b"application/json"),
            (b"content-length", str(len(BODY)).encode())])
        self.state.send_data(stream_id, BODY, end_stream=True)
        self.flush()
        return stream

    async def read(self):
        error = ConnectionError("Envoy closed the connection")
        try:
            while data := await self.reader.read(1 << 16):
                for event in self.state.receive_data(data):
                    self.on_event(event)
                self.flush()
        except Exception as e:  # noqa: BLE001  (the streams report it)
            error = e
        for stream in self.streams.values():
            stream.fail(error)

    def on_event(self, event):
        stream = self.streams.get(getattr(event, "stream_id", None))
        if isinstance(event, h2.events.RemoteSettingsChanged):
            self.settings.set()
        elif isinstance(event, h2.events.ResponseReceived):
            stream.on_headers(event.headers)
        elif isinstance(event, h2.events.DataReceived):
            self.state.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            stream.on_data(event.data)
        elif isinstance(event, h2.events.StreamEnded):
            stream.on_end()
        elif isinstance(event, h2.events.StreamReset):
            stream.fail(RuntimeError(f"stream reset by Envoy: {event.error_code!r}"))
        elif isinstance(event, h2.events.ConnectionTerminated):
            for each in self.streams.values():
                each.fail(RuntimeError(f"GOAWAY from Envoy: {event.error_code!r}"))

    def flush(self):
        self.writer.write(self.state.data_to_send())

    def close(self):
        self.reading.cancel()
        self.writer.close()


class Http2Client:
    name = "HTTP/2"

    def __init__(self, port):
        self.port = port
        self.pool = []
        self.choosing = asyncio.Lock()

    @property
    def connections(self):
        return len(self.pool)

    def streams_per_connection(self):
        return self.pool[0].allowed()

    async def new_stream(self):
        """A stream on the newest connection, or on a new one once that one is full."""
        async with self.choosing:
            if not self.pool or not self.pool[-1].has_room():
                self.pool.append(await Http2Connection.open(self.port))
            return self.pool[-1].start_stream()

    def close(self):
        for connection in self.pool:
            connection.close()


async def streams(client, count, on_all_open):
    """Opens `count` streams, calls on_all_open() once each has its first chunk (or has failed), then
    reads every one to its end. Returns (seconds until all open, failures as text)."""
    opening = asyncio.Semaphore(OPENING_AT_ONCE)
    settled, all_settled = 0, asyncio.Event()
    failures = []

    def settle():
        nonlocal settled
        settled += 1
        if settled == count:
            all_settled.set()

    async def one():
        stream, counted = None, False
        try:
            async with opening:
                stream = await client.new_stream()
                await stream.open()
            settle()
            counted = True
            if b"data: [DONE]" not in await stream.finish():
                raise RuntimeError("stream ended without [DONE]")
        except Exception as e:  # noqa: BLE001  (every failure is counted and reported)
            failures.append(repr(e))
            if not counted:
                settle()
        finally:
            if stream:
                stream.close()

    started = time.perf_counter()
    tasks = [asyncio.create_task(one()) for _ in range(count)]
    try:
        await asyncio.wait_for(all_settled.wait(), STAGE_TIMEOUT_SECONDS)
        opened = time.perf_counter() - started
        await asyncio.get_running_loop().run_in_executor(None, on_all_open)
        await asyncio.wait_for(asyncio.gather(*tasks), STAGE_TIMEOUT_SECONDS)
    finally:
        client.close()
    return opened, failures


def stub_call(stub, method, path):
    host, port = stub.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request(method, path)
        return json.loads(conn.getresponse().read())
    finally:
        conn.close()


def client_connections(router):
    """The client connections Envoy accepted so far, by protocol (its HTTP connection manager's stats)."""
    admin = (router.work_dir / "envoy-admin-address").read_text().strip()
    url = f"http://{admin}/stats?format=json&filter=^http\\.jairouter\\.downstream_cx_http[12]_total$"
    with urllib.request.urlopen(url, timeout=10) as response:
        stats = {s["name"]: s.get("value", 0) for s in json.loads(response.read())["stats"]}
    return {protocol: stats.get(f"http.jairouter.downstream_cx_{key}_total", 0)
            for protocol, key in (("HTTP/1.1", "http1"), ("HTTP/2", "http2"))}


def run(client_type, file_limit, count, server_yaml=""):
    """Streams `count` SSE chat completions at once through a fresh router (so that its RSS before is
    that of an idle Envoy) and returns the table row, or raises naming what failed."""
    with b.process("sse-stub", [sys.executable, STUB, 0], ready=r"sse stub listening on (\S+)") as running:
        stub = running.matches[0].group(1)
        config = (f"server:\n  address: 127.0.0.1\n  port: 0\n{server_yaml}model:\n  services:\n    chat:\n      instances:\n"
                  f'        - name: "{MODEL}"\n          base-url: "{stub}"\n')
        with b.router("streams", config) as router:
            client = client_type(int(router.url.rsplit(":", 1)[1]))
            idle_rss = b.rss_mib(router.envoy_pid)
            seen = {}

            def all_open():
                seen["rss"] = b.rss_mib(router.envoy_pid)
                seen["files"] = len(os.listdir(f"/proc/{router.envoy_pid}/fd"))
                seen["held"] = stub_call(stub, "GET", "/held")["held"]
                b.log(f"streams ({client.name}): {seen['held']} held at the stub; Envoy RSS {seen['rss']:.0f} "
                      f"MiB, {seen['files']} open files")
                stub_call(stub, "POST", "/release")

            b.log(f"streams ({client.name}): opening {count} (file limit {file_limit})")
            opened, failures = asyncio.run(streams(client, count, all_open))
            peak_rss = b.rss_mib(router.envoy_pid, "VmHWM")
            accepted = client_connections(router)
    if failures:
        b.log(f"streams ({client.name}): {len(failures)} failed, first ones: {failures[:5]}")
    if failures or seen["held"] != count or accepted[client.name] < client.connections:
        raise SystemExit(f"{client.name}: {len(failures)} of {count} streams failed ({seen['held']} held, Envoy "
                         f"accepted {accepted}): {failures[:5]}")
    per_stream_kib = (seen["rss"] - idle_rss) * 1024 / count
    return [client.name, f"{client.streams_per_connection():,}", f"{count:,}", f"{client.connections:,}", len(failures), f"{opened:.1f}",
            f"{seen['held']:,}", f"{seen['files']:,}", f"{idle_rss:.0f}", f"{seen['rss']:.0f}", f"{peak_rss:.0f}",
            f"{per_stream_kib:.1f}"]


def main():
    file_limit = raise_file_limit()
    # HTTP/2: Envoy holds a socket per stream upstream (instances speak HTTP/1.1, a request per
    # connection) and a few client connections; HTTP/1.1: two sockets per stream.
    h2_count = min(WANTED, file_limit - ENVOY_OWN_FILES - math.ceil(WANTED / H2_DEFAULT_STREAMS))
    h1_count = min(WANTED, (file_limit - ENVOY_OWN_FILES) // 2)
    rows = [run(Http2Client, file_limit, h2_count),
            run(Http2Client, file_limit, h2_count, f"  http2:\n    max-concurrent-streams: {H2_RAISED_STREAMS}\n"),
            run(Http1Client, file_limit, h1_count)]
    if not b.SMOKE:
        b.target(f"{WANTED:,} concurrent SSE streams through one Envoy", "0 failures",
                 f"0 failures of {h2_count:,} streams (clients on HTTP/2, {H2_DEFAULT_STREAMS} streams per connection)", h2_count == WANTED)
    print(f"## Many streams: {h2_count:,} concurrent SSE chat streams through one Envoy\n")
    print("An asyncio client (one loop) opens streaming chat completions through the router, at most")
    print(f"{OPENING_AT_ONCE} being set up at once; the stub (`bench/lib/sse_stub.py`, one asyncio loop) sends each its")
    print("first chunk and holds it. Once every stream has its first chunk, Envoy's RSS and open files are read")
    print("and the stub releases all of them at once; each must then end with `[DONE]`. The client speaks")
    print("**HTTP/2** (cleartext, prior knowledge, the `h2` package) with as many streams per connection as the")
    print(f"listener announces ({H2_DEFAULT_STREAMS} by default; {H2_RAISED_STREAMS:,} with `server.http2.max-concurrent-streams:")
    print(f"{H2_RAISED_STREAMS}`), or **HTTP/1.1** (raw sockets, a connection per stream).")
    print("Upstream every stream has its own HTTP/1.1 connection, as with a real model server. A fresh router")
    print("per row, as the router runs it (one worker per core, the translator's default limits: 100,000")
    print(f"requests per model, 50,000 connections); the step raises its file limit to {file_limit:,}, inherited by")
    print("the stub, the control plane and Envoy. RSS per stream is (RSS with all open − RSS before) / streams:")
    print("it includes the upstream connection of each stream.\n")
    if h1_count < WANTED:
        print(b.notes([f"The hard file limit here is {file_limit:,} and the step may not raise it (no "
                       f"CAP_SYS_RESOURCE): Envoy needs two sockets per HTTP/1.1 stream, so the HTTP/1.1 row ran "
                       f"{h1_count:,} streams, not {WANTED:,}; over HTTP/2 a stream costs Envoy one."]))
    print(b.table(["client → Envoy", "streams per connection", "streams", "client connections", "failed", "all open after s",
                   "held at the stub", "Envoy open files", "Envoy RSS before MiB", "with all open MiB", "peak MiB",
                   "per stream KiB"], rows))


main()
