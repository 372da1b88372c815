"""The HTTP clients the steps measure with (Python stdlib; `wrk` for throughput).

All clients time with time.perf_counter and report seconds. Every client raises on an answer other
than 200: figures of error replies would mean nothing, and a smoke run then fails on a broken router.
"""
import asyncio
import gc
import http.client
import json
import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import benchlib

WRK = shutil.which("wrk")
WRK_SCRIPT = Path(__file__).with_name("wrk-post.lua")


def wrk(url, body, connections, seconds, threads=1, authorization=None):
    """Closed-loop throughput: `connections` keep-alive connections each sending as fast as answered.

    `authorization` is sent as the Authorization header when given (a client key: never printed).
    Returns (the command line, the summary the Lua script prints: requests, socket errors, latency).
    """
    if not WRK:
        raise RuntimeError("wrk is not installed (Debian package `wrk`): a step must leave out its wrk rows")
    argv = [WRK, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "-s", str(WRK_SCRIPT), url]
    env = {**os.environ, "WRK_BODY": body.decode()}
    if authorization:
        env["WRK_AUTHORIZATION"] = authorization
    out = subprocess.run(argv, env=env, check=True,
                         capture_output=True, text=True, timeout=seconds + 30).stdout
    summary = json.loads(out[out.rindex("{"):])
    if summary["non_2xx"]:
        raise RuntimeError(f"{url}: {summary['non_2xx']} of {summary['requests']} answers were not 2xx")
    return " ".join(argv), summary


def wrk_cpu(router, url, body, connections, warmup_seconds, seconds, authorization=None):
    """wrk against a router after a warm-up, with the CPU its processes used meanwhile.

    Returns (the command line, requests/s, Envoy and control-plane CPU µs per request, socket errors);
    CPU is user + system time of each process during the measured run.
    """
    wrk(url, body, connections, warmup_seconds, authorization=authorization)
    envoy, java = benchlib.cpu_seconds(router.envoy_pid), benchlib.cpu_seconds(router.pid)
    command, s = wrk(url, body, connections, seconds, authorization=authorization)
    requests = s["requests"]
    return (command, requests / s["duration_us"] * 1e6,
            (benchlib.cpu_seconds(router.envoy_pid) - envoy) / requests * 1e6,
            (benchlib.cpu_seconds(router.pid) - java) / requests * 1e6, s["errors"])


def compare_cpu(measures, rounds):
    """Runs {"off": measure, "on": measure, ...} (each returning a `wrk_cpu` result) `rounds` times each,
    alternating so that a change in the machine's load hits both alike, and keeps the run with the median
    Envoy CPU of each. Returns (the commands, table rows [name, requests/s, Envoy, control-plane and total
    CPU µs/request, socket errors], the extra total CPU per request of "on" over "off")."""
    results, commands = {name: [] for name in measures}, []
    for _ in range(rounds):
        for name, measure in measures.items():
            command, *figures = measure()
            results[name].append(figures)
            commands.append(command)
    rows, median = [], {}
    for name, runs in results.items():
        runs.sort(key=lambda r: r[1])
        median[name] = runs[len(runs) // 2]
        rps, envoy_us, java_us, errors = median[name]
        rows.append([name, f"{rps:,.0f}", f"{envoy_us:.0f}", f"{java_us:.0f}", f"{envoy_us + java_us:.0f}", errors])
    extra = (median["on"][1] + median["on"][2]) / (median["off"][1] + median["off"][2]) - 1
    return commands, rows, extra


def constant_rate(url, body, rate, seconds, warmup_seconds):
    """Open-loop load: starts a request every 1/rate s whatever the answers do, like wrk2.

    A request never waits for an earlier one: it takes an idle keep-alive connection or opens a new
    one. Latency runs from writing the request to reading the last byte of the answer, so it is the
    latency a client sees. `lag` is how late the client itself started each request against the
    schedule; its p99 shows whether the client kept the rate (if it did not, the rate is wrong, not the
    latency). The warm-up (same rate, not recorded) opens the connections and warms both servers.

    Returns {"latencies": sorted seconds, "lags": sorted seconds, "connections": n, "timeline": [(seconds
    from the first recorded start, latency)] in start order}.
    """
    gc.disable()  # no collector pauses in the client's timings; a run allocates only a few MB
    try:
        return asyncio.run(_constant_rate(urlsplit(url), body, rate, seconds, warmup_seconds))
    finally:
        gc.enable()


async def _constant_rate(url, body, rate, seconds, warmup_seconds):
    request = (f"POST {url.path} HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Type: application/json\r\n"
               f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    idle, opened = [], []
    result = {"latencies": [], "lags": [], "timeline": []}

    async def one(scheduled, record):
        if idle:
            reader, writer = idle.pop()
        else:
            reader, writer = await asyncio.open_connection(url.hostname, url.port)
            opened.append(writer)
        started = time.perf_counter()
        writer.write(request)
        status = await _read_response(reader)
        finished = time.perf_counter()
        if status != 200:
            raise RuntimeError(f"{url.geturl()}: status {status}")
        idle.append((reader, writer))
        if record:
            result["latencies"].append(finished - started)
            result["lags"].append(started - scheduled)
            result["timeline"].append((started, finished - started))

    tasks = []
    warmup = int(rate * warmup_seconds)
    start = time.perf_counter()
    for i in range(warmup + int(rate * seconds)):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(scheduled, i >= warmup)))
    await asyncio.gather(*tasks)
    for writer in opened:
        writer.close()
    result["latencies"].sort()
    result["lags"].sort()
    result["timeline"].sort()
    first = result["timeline"][0][0] if result["timeline"] else 0
    result["timeline"] = [(at - first, latency) for at, latency in result["timeline"]]
    result["connections"] = len(opened)
    return result


async def _read_response(reader):
    """Reads one HTTP/1.1 response with a Content-Length body; returns its status."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    length = next(int(h.split(":", 1)[1]) for h in head if h.lower().startswith("content-length:"))
    await reader.readexactly(length)
    return int(head[0].split()[1])


def _connection(url):
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    conn.connect()  # not timed: every client below times from an open connection
    return conn, parts.path


def sse(url, body):
    """One streamed chat completion: (seconds to the first complete event, seconds between events).

    Events are counted when their terminating blank line arrives, so events that the path in between
    held back and delivered together show up as gaps near 0 followed by a long one.
    """
    conn, path = _connection(url)
    try:
        started = time.perf_counter()
        conn.request("POST", path, body, {"Content-Type": "application/json"})
        response = conn.getresponse()
        arrivals, pending = [], b""
        while chunk := response.read1(65536):
            now = time.perf_counter()
            pending += chunk
            events = pending.count(b"\n\n")
            arrivals += [now] * events
            pending = pending[pending.rindex(b"\n\n") + 2:] if events else pending
        if response.status != 200 or not arrivals:
            raise RuntimeError(f"SSE from {url}: status {response.status}, {len(arrivals)} events")
        return arrivals[0] - started, [b - a for a, b in zip(arrivals, arrivals[1:], strict=False)]
    finally:
        conn.close()


def multipart(fields, file_name, file_bytes, model_last=False):
    """A multipart/form-data body: (content type, body). The fields come before the file, or after it."""
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    file_part = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
                 f"Content-Type: application/octet-stream\r\n\r\n".encode() + file_bytes + b"\r\n")
    parts.insert(0 if model_last else len(parts), file_part)
    parts.append(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", b"".join(parts)


def transfer(url, body, content_type):
    """One POST: (seconds from sending the request to the end of the answer, bytes of the answer)."""
    conn, path = _connection(url)
    try:
        started = time.perf_counter()
        conn.request("POST", path, body, {"Content-Type": content_type})
        response = conn.getresponse()
        received = 0
        while chunk := response.read(1 << 20):
            received += len(chunk)
        elapsed = time.perf_counter() - started
        if response.status != 200:
            raise RuntimeError(f"POST {url}: status {response.status}")
        return elapsed, received
    finally:
        conn.close()
