#!/usr/bin/env python3
"""An OpenAI-compatible chat server that holds many SSE streams open at once (one asyncio loop, no
thread per stream), for bench/steps/70-streams.py.

    sse_stub.py PORT     (0 = any free port; prints "sse stub listening on http://127.0.0.1:N")

POST /v1/chat/completions with "stream": true answers 200 text/event-stream and sends the role chunk
at once, then holds the stream until POST /release; then each held stream gets one content chunk,
the finish chunk and [DONE]. GET /v1/models answers the router's health checks; GET /held says how
many streams are held now. Every other request gets 404.
"""
import asyncio
import json
import resource
import sys

CHUNK = {"id": "chatcmpl-stream", "object": "chat.completion.chunk", "created": 1700000000,
         "model": "bench-stream"}
MODELS = json.dumps({"object": "list", "data": [{"id": "bench-stream", "object": "model", "created": 0,
                                                 "owned_by": "bench"}]}).encode()


def event(delta, finish_reason=None):
    data = {**CHUNK, "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]}
    return f"data: {json.dumps(data)}\n\n".encode()


def chunked(data):
    return b"%x\r\n%s\r\n" % (len(data), data)


STREAM_HEAD = (b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n"
               b"transfer-encoding: chunked\r\n\r\n") + chunked(event({"role": "assistant", "content": ""}))
STREAM_TAIL = (chunked(event({"content": "Hello"})) + chunked(event({}, "stop"))
               + chunked(b"data: [DONE]\n\n") + b"0\r\n\r\n")

release = None  # an asyncio.Event, set by POST /release
held = 0


def reply(status, body, content_type="application/json"):
    return (f"HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {len(body)}\r\n\r\n"
            .encode() + body)


async def read_request(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    body = await reader.readexactly(length) if length else b""
    return method, path, body


async def serve(reader, writer):
    global held
    try:
        while True:
            method, path, body = await read_request(reader)
            if method == "POST" and path.endswith("/chat/completions") and json.loads(body).get("stream"):
                writer.write(STREAM_HEAD)
                await writer.drain()
                held += 1
                try:
                    await release.wait()
                finally:
                    held -= 1
                writer.write(STREAM_TAIL)
            elif method == "GET" and path.endswith("/models"):
                writer.write(reply("200 OK", MODELS))
            elif method == "GET" and path == "/held":
                writer.write(reply("200 OK", json.dumps({"held": held}).encode()))
            elif method == "POST" and path == "/release":
                release.set()
                writer.write(reply("200 OK", b"{}"))
            else:
                writer.write(reply("404 Not Found", b'{"error":{"message":"not found"}}'))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass  # the client closed its connection
    finally:
        writer.close()


async def main(port):
    global release
    release = asyncio.Event()
    server = await asyncio.start_server(serve, "127.0.0.1", port, backlog=16384)
    print(f"sse stub listening on http://127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    # One socket per stream: as many as the process may open (the step raised the hard limit).
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(main(int(sys.argv[1])))
